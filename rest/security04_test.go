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
	db, err := database.Open(context.Background(), dsn, 0)
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
	if r.Status != http.StatusOK || len(errs) != 1 || errs[0].(map[string]any)["message"] != message ||
		errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "BAD_REQUEST" {
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

// REST expand has a budget: the records a request could embed at most (a
// back-relation counts its cap, 100 per record; a multi relation its
// max_select; a single relation 1, times the records above it) must not
// exceed 10,000, or the request is a 400. The review's reproduction,
// per_page=100 with expand=tag.posts_via_tag.tag, is refused.
func TestSecurity04ExpandBudget(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	e := expandEnv{t, s, root.Access}
	people, tags, posts := newName("people"), newName("tags"), newName("posts")
	e.public(people, field("name", "text"))
	e.public(tags, field("label", "text"))
	e.public(posts, field("title", "text"), field("tag", "relation", "relation", e.relation(tags)),
		field("readers", "relation", "relation", e.relation(people, "max_select", 500)))
	hub := e.add(tags, map[string]any{"label": "hub"})
	var rows strings.Builder
	rows.WriteString("title,tag\n")
	for i := range 150 {
		fmt.Fprintf(&rows, "p%03d,%s\n", i, hub)
	}
	if r := csvImport(t, s, posts, rows.String(), root.Access); r.Status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	// via is the back-relation from tags to posts.
	via := posts + "_via_tag"
	list := func(collection, query string) *apptest.Response {
		query = strings.ReplaceAll(query, "posts_via_tag", via)
		return s.Do(t, http.MethodGet, "/api/v1/collections/"+collection+"/records?skipTotal=1&"+query, nil, "")
	}
	get := func(query string) *apptest.Response {
		return e.get(tags, hub, strings.ReplaceAll(query, "posts_via_tag", via), "")
	}
	refused := func(r *apptest.Response, rows int) {
		t.Helper()
		if len(r.Body) > 2000 { // an expansion that ran: do not print it all
			t.Fatalf("status %d, %d bytes: %.300s…", r.Status, len(r.Body), r.Body)
		}
		apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", fmt.Sprintf(
			"expand: %d records with these paths could embed more than 10000 records (a back-relation counts 100 per record, a multi relation its max_select); ask for fewer records (per_page) or fewer paths", rows), nil)
	}

	// 100 posts × (1 tag + 100 posts + 100 tags) = 20,100; one more
	// back-relation makes 1,020,100.
	refused(list(posts, "per_page=100&expand=tag.posts_via_tag.tag"), 100)
	refused(list(posts, "per_page=100&expand=tag.posts_via_tag.tag.posts_via_tag"), 100)
	// 1 tag × (100 posts + 100 tags + 10,000 posts) = 10,200: a single
	// record is refused too.
	refused(get("expand=posts_via_tag.tag.posts_via_tag"), 1)
	// 21 posts × 500 readers = 10,500.
	refused(list(posts, "per_page=21&expand=readers"), 21)

	// Within the budget: 20 × (1 + 100 + 100), 100 × 100 and 20 × 500;
	// a back-relation embeds at most 100 records.
	r := list(posts, "per_page=20&expand=tag.posts_via_tag.tag")
	if r.Status != http.StatusOK {
		t.Fatalf("within the budget: %d %s", r.Status, r.Body)
	}
	items := r.JSON(t)["items"].([]any)
	if len(items) != 20 {
		t.Fatalf("%d items", len(items))
	}
	for _, item := range items {
		embedded := item.(map[string]any)["expand"].(map[string]any)["tag"].(map[string]any)["expand"].(map[string]any)[via].([]any)
		if len(embedded) != 100 || embedded[0].(map[string]any)["expand"].(map[string]any)["tag"].(map[string]any)["id"] != hub {
			t.Fatalf("%d posts embedded under the tag", len(embedded))
		}
	}
	if r := list(tags, "per_page=100&expand=posts_via_tag"); r.Status != http.StatusOK {
		t.Fatalf("100 × 100: %d %s", r.Status, r.Body)
	}
	if r := list(posts, "per_page=20&expand=readers"); r.Status != http.StatusOK {
		t.Fatalf("20 × 500: %d %s", r.Status, r.Body)
	}
	r = get("expand=posts_via_tag")
	if r.Status != http.StatusOK || len(r.JSON(t)["expand"].(map[string]any)[via].([]any)) != 100 {
		t.Fatalf("one tag's posts: %d %s", r.Status, r.Body)
	}
}
