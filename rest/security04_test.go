package rest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/database"
	"fastcms/internal/pgtest"
	"fastcms/migrations"
)

// sec04Timeout is the STATEMENT_TIMEOUT of sec04Server.
const sec04Timeout = 200 * time.Millisecond

// sec04Server runs the app over a pool opened as server.go opens it, with
// a statement timeout of sec04Timeout. It returns the pool too.
func sec04Server(t *testing.T) (*apptest.Server, *bun.DB) {
	t.Helper()
	dsn, err := database.WithStatementTimeout(pgtest.URL(), sec04Timeout)
	if err != nil {
		t.Fatal(err)
	}
	db := sec04Open(t, dsn)
	cfg, err := config.Load(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL, cfg.JWTSecret = pgtest.URL(), []byte(apptest.Secret)
	a, err := app.New(cfg, db, app.Options{Mail: &apptest.Mailbox{}, BcryptCost: 4, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		a.Drain()
		ts.Close()
		a.Close()
	})
	return &apptest.Server{Server: ts, App: a, Config: cfg}, db
}

func sec04Open(t *testing.T, dsn string) *bun.DB {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { db.Close() })
	return db
}

// sec04Hold runs stmt (a lock) in a transaction of its own pool and keeps
// it for d; the returned channel closes when the lock is released.
func sec04Hold(t *testing.T, stmt string, d time.Duration) <-chan struct{} {
	t.Helper()
	db := pgtest.Open(t)
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(stmt); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		time.Sleep(d)
		tx.Rollback() //nolint:errcheck // releasing the lock is all that matters
		close(done)
	}()
	t.Cleanup(func() { <-done })
	return done
}

// A statement running past STATEMENT_TIMEOUT is a 503 "timeout" in REST
// and that message in GraphQL, not a 500.
func TestSecurity04StatementTimeout(t *testing.T) {
	t.Parallel()
	s, _ := sec04Server(t)
	root := admin(t, s)
	name := newName("slow")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": ""})
	const message = "the query took longer than the server allows; ask for less (a narrower filter, fewer records or expansions)"

	done := sec04Hold(t, fmt.Sprintf(`LOCK TABLE data.%q IN ACCESS EXCLUSIVE MODE`, name), 3*time.Second)
	start := time.Now()
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records", nil, ""), http.StatusServiceUnavailable, "timeout", message, nil)
	r, body := s.GraphQL(t, fmt.Sprintf("{ %s { id } }", name), nil, "")
	errs, _ := body["errors"].([]any)
	if r.Status != http.StatusOK || len(errs) != 1 || errs[0].(map[string]any)["message"] != message {
		t.Fatalf("GraphQL: %d %s", r.Status, r.Body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the two requests took %s", d)
	}
	<-done
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?skipTotal=1", nil, ""), http.StatusOK,
		map[string]any{"items": []any{}, "total": -1.0, "page": 1.0, "per_page": 20.0, "total_pages": -1.0})
}

// Work bounded otherwise runs past STATEMENT_TIMEOUT: collection changes
// (DDL, and their wait for the schema lock), CSV import and export (their
// stream timeout), and migrations, which leave the connection's timeout as
// it was.
func TestSecurity04LongWorkOutlivesStatementTimeout(t *testing.T) {
	t.Parallel()
	s, db := sec04Server(t)
	root := admin(t, s)
	name := newName("patient")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": "", "create_rule": ""})
	wait := 4 * sec04Timeout

	sec04Hold(t, "SELECT pg_advisory_xact_lock(727003)", wait) // collections' schemaLock
	r := s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, map[string]any{"schema": []any{field("title", "text"), field("n", "number")}}, root.Access)
	if r.Status != http.StatusOK {
		t.Fatalf("collection change behind the schema lock: %d %s", r.Status, r.Body)
	}

	sec04Hold(t, fmt.Sprintf(`LOCK TABLE data.%q IN ACCESS EXCLUSIVE MODE`, name), wait)
	if r := csvImport(t, s, name, "title,n\na,1\nb,2\n", root.Access); r.Status != http.StatusCreated {
		t.Fatalf("import behind a lock: %d %s", r.Status, r.Body)
	}
	sec04Hold(t, fmt.Sprintf(`LOCK TABLE data.%q IN ACCESS EXCLUSIVE MODE`, name), wait)
	r = csvExport(t, s, name, "", "")
	if r.Status != http.StatusOK || len(csvDropSystemColumns(t, r.Body)) != 3 {
		t.Fatalf("export behind a lock: %d %s", r.Status, r.Body)
	}

	one, err := database.WithStatementTimeout(pgtest.URL(), sec04Timeout)
	if err != nil {
		t.Fatal(err)
	}
	mdb := sec04Open(t, one)
	mdb.SetMaxOpenConns(1)
	sec04Hold(t, "SELECT pg_advisory_xact_lock(727001)", wait) // the migration lock
	if err := database.Migrate(context.Background(), mdb, migrations.FS); err != nil {
		t.Fatalf("migrations behind their lock: %v", err)
	}
	for _, pool := range []*bun.DB{mdb, db} {
		var got string
		if err := pool.QueryRow("SHOW statement_timeout").Scan(&got); err != nil || got != "200ms" {
			t.Fatalf("statement_timeout after migrating: %q %v", got, err)
		}
	}
}

// WithStatementTimeout adds the timeout to a URL that has none, keeps one
// the URL sets, and adds nothing for 0.
func TestSecurity04StatementTimeoutDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dsn  string
		d    time.Duration
		want string
	}{
		{"postgres://u@h/db?sslmode=disable", 10 * time.Second, "postgres://u@h/db?sslmode=disable&statement_timeout=10000"},
		{"postgres://u@h/db", 1500 * time.Millisecond, "postgres://u@h/db?statement_timeout=1500"},
		{"postgres://u@h/db?statement_timeout=0", 10 * time.Second, "postgres://u@h/db?statement_timeout=0"},
		{"postgres://u@h/db", 0, "postgres://u@h/db"},
	} {
		got, err := database.WithStatementTimeout(tc.dsn, tc.d)
		if err != nil || got != tc.want {
			t.Errorf("WithStatementTimeout(%q, %s) = %q, %v; want %q", tc.dsn, tc.d, got, err, tc.want)
		}
	}
	if _, err := database.WithStatementTimeout("host=h dbname=db", time.Second); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Errorf("a key=value DSN: %v", err)
	}
}
