package records

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/uptrace/bun"

	"fastcms/internal/collections"
	"fastcms/internal/notify"
	"fastcms/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testRegistry connects to the package's test database with a collection
// registry that follows changes, as a server does; tb closes both.
func testRegistry(tb testing.TB) (*bun.DB, *collections.Registry, *slog.Logger) {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := pgtest.Open(tb)
	hub, err := notify.Start(pgtest.URL(), log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { hub.Close() })
	registry, err := collections.NewRegistry(context.Background(), db, hub, log)
	if err != nil {
		tb.Fatal(err)
	}
	return db, registry, log
}
