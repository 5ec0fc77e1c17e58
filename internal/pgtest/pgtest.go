// Package pgtest gives each test package a fresh PostgreSQL database cloned
// from a migrated template, so tests run against the real database without
// paying for migrations per package, and packages never see each other's rows.
//
// It finds PostgreSQL through TEST_DATABASE_URL, then DATABASE_URL, then the
// local default, and starts the local cluster if it is installed but down.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/uptrace/bun"

	"fastcms/internal/database"
	"fastcms/migrations"
)

// templateLock serialises template creation and cloning across the test
// packages that `go test ./...` runs in parallel.
const templateLock = 727_100

var url_ string

// Main runs a package's tests against a fresh database; call it from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = os.Getenv("DATABASE_URL")
	}
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	if err := ensureRunning(base); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	dsn, drop, err := clone(ctx, base)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	url_ = dsn
	code := m.Run()
	if err := drop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: dropping the test database:", err)
	}
	return code
}

// URL is the connection URL of this package's test database.
func URL() string {
	if url_ == "" {
		panic("pgtest: call pgtest.Main from TestMain")
	}
	return url_
}

// Open connects to this package's test database and closes it when tb ends.
func Open(tb testing.TB) *bun.DB {
	tb.Helper()
	db, err := database.Open(context.Background(), URL(), 0)
	if err != nil {
		tb.Fatal(err)
	}
	// Tests open many pools at once; idle connections would pile up.
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Second)
	tb.Cleanup(func() { db.Close() })
	return db
}

// ensureRunning starts the machine's PostgreSQL cluster when nothing answers
// at the URL's address but pg_ctlcluster (Debian's cluster tool) is installed.
func ensureRunning(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		return nil
	}
	versions, _ := filepath.Glob("/etc/postgresql/*")
	if len(versions) == 0 {
		return fmt.Errorf("no PostgreSQL answers at %s and none is installed (run scripts/ensure-postgres.sh)", addr)
	}
	sort.Strings(versions)
	out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", filepath.Base(versions[len(versions)-1]), "main", "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("starting PostgreSQL: %v: %s", err, out)
	}
	for i := 0; i < 50; i++ {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("PostgreSQL did not come up at %s", addr)
}

// clone creates this package's database from the template named after the
// migrations' content, building the template first if it does not exist.
func clone(ctx context.Context, base string) (dsn string, drop func() error, err error) {
	_, adminDSN, err := database.WithDatabase(base, "postgres")
	if err != nil {
		return "", nil, err
	}
	admin, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLock); err != nil {
		return "", nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLock) //nolint:errcheck // dies with the session anyway

	tpl, err := templateName()
	if err != nil {
		return "", nil, err
	}
	var ready bool
	err = conn.QueryRowContext(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", tpl).Scan(&ready)
	if err == sql.ErrNoRows || (err == nil && !ready) {
		err = buildTemplate(ctx, conn, base, tpl)
	}
	if err != nil {
		return "", nil, fmt.Errorf("template %s: %w", tpl, err)
	}
	b := make([]byte, 6)
	rand.Read(b) //nolint:errcheck // crypto/rand never fails on supported platforms
	name := "fastcms_test_" + hex.EncodeToString(b)
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(tpl)); err != nil {
		return "", nil, err
	}
	_, dsn, _ = database.WithDatabase(base, name)
	return dsn, func() error {
		admin, err := sql.Open("postgres", adminDSN)
		if err != nil {
			return err
		}
		defer admin.Close()
		_, err = admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
		return err
	}, nil
}

func buildTemplate(ctx context.Context, conn *sql.Conn, base, tpl string) error {
	q := pq.QuoteIdentifier(tpl)
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+q+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+q); err != nil {
		return err
	}
	_, dsn, _ := database.WithDatabase(base, tpl)
	db, err := database.Open(ctx, dsn, 0)
	if err != nil {
		return err
	}
	err = database.Migrate(ctx, db, migrations.FS)
	db.Close()
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "ALTER DATABASE "+q+" WITH IS_TEMPLATE true")
	return err
}

// templateName changes whenever a migration does, so a stale template is
// never used; old ones are left for a human to drop (they are small).
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return "fastcms_tpl_" + hex.EncodeToString(h.Sum(nil))[:12], err
}
