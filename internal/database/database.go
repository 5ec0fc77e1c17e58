// Package database opens PostgreSQL through bun over lib/pq, creates the
// database on first start, runs the embedded migrations, and can start a
// private cluster when only PostgreSQL's binaries are installed.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// DefaultMaxConns is the pool size when none is given.
const DefaultMaxConns = 32

// Open connects to url, creating the named database if it does not exist
// yet, with a pool of at most maxConns connections (DefaultMaxConns for 0).
func Open(ctx context.Context, dsn string, maxConns int) (*bun.DB, error) {
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	if err := ensureDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	sqldb, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	sqldb.SetMaxOpenConns(maxConns)
	sqldb.SetMaxIdleConns(maxConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// WithStatementTimeout returns dsn with PostgreSQL's statement_timeout set
// to d on every connection opened through it, unless dsn sets one itself
// or d is 0. A statement running longer is cancelled with SQLSTATE 57014,
// which the API answers as a 503 (apierr.As). Work that is bounded
// otherwise lifts it: migrations and collection changes (DDL), and the
// CSV routes (ExtendStatementTimeout).
func WithStatementTimeout(dsn string, d time.Duration) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("database URL must be postgres://…: %q", dsn)
	}
	q := u.Query()
	if d <= 0 || q.Has("statement_timeout") {
		return dsn, nil
	}
	q.Set("statement_timeout", strconv.FormatInt(max(d.Milliseconds(), 1), 10))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// ExtendStatementTimeout gives the statements of tx the time left before
// ctx's deadline instead of the connection's statement_timeout: for work
// whose caller bounds it as a whole (a CSV import or export has
// HTTP_STREAM_TIMEOUT). Without a deadline it changes nothing.
func ExtendStatementTimeout(ctx context.Context, tx *sql.Tx) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	ms := max(time.Until(deadline).Milliseconds(), 1)
	_, err := tx.ExecContext(ctx, "SELECT set_config('statement_timeout', $1, true)", strconv.FormatInt(ms, 10))
	return err
}

// ensureDatabase creates the database named in dsn through the maintenance
// database "postgres" when connecting to it fails with "does not exist".
func ensureDatabase(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.PingContext(ctx)
	var pqErr *pq.Error
	if err == nil || !errors.As(err, &pqErr) || pqErr.Code != "3D000" {
		return err
	}
	name, adminDSN, err := WithDatabase(dsn, "postgres")
	if err != nil {
		return err
	}
	admin, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // created meanwhile by another instance
		return nil
	}
	return err
}

// WithDatabase returns the database name of a postgres:// URL and the same URL
// pointing at the database other instead.
func WithDatabase(dsn, other string) (name, otherDSN string, err error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", fmt.Errorf("database URL must be postgres://…: %q", dsn)
	}
	name = strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", "", fmt.Errorf("database URL names no database: %q", dsn)
	}
	u.Path = "/" + other
	return name, u.String(), nil
}
