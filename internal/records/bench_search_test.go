package records

// Benchmarks of full-text search (?search=) on a 100,000-row collection,
// through Service.List as a signed-in user (the list rule applies) and the
// very statement the service issues run straight through database/sql:
//
//	go test ./internal/records/ -run XXX -bench Search -benchtime 2s -count 3
//
// The service's overhead is service ns/op ÷ raw-sql ns/op. Nothing here runs
// under plain `go test`: the fixture is built by the first benchmark that
// needs it and then stays in the package's test database.
//
// The statement capture (recorder, recordingConnector, capturedStmt) is
// shared with bench_test.go.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/lib/pq"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/opt"
	"fastcms/internal/page"
	"fastcms/internal/pgtest"
)

const (
	searchBenchCollection = "bench_search_articles"
	searchBenchRows       = 100_000
)

// searchBenchWords is the vocabulary of the generated text: plain words and
// accented ones, which the search configuration folds ("cafe" finds "café").
var searchBenchWords = []string{
	"the", "of", "and", "a", "to", "in", "is", "for", "on", "with", "as", "by", "at", "from",
	"database", "index", "query", "search", "record", "field", "collection", "server", "client",
	"cache", "table", "column", "schema", "rule", "token", "session", "backup", "webhook",
	"latency", "throughput", "replica", "cluster", "storage", "network", "memory", "disk",
	"café", "crème", "brûlée", "über", "naïve", "façade", "déjà", "Zürich", "São", "Paulo",
	"Ångström", "smörgåsbord", "piñata", "jalapeño", "résumé", "coöperate", "Straße", "élan",
}

// searchBenchQueries are the searches measured, from selective to broad.
var searchBenchQueries = []struct{ name, terms string }{
	// "zephyr" is in every 100th row (as "zéphyr"): ~500 visible hits.
	{"rare", "zephyr"},
	// A phrase and an exclusion over common words: a few hundred hits.
	{"phrase-exclude", `"creme brulee" -zurich`},
	// "cafe" is in about half the rows: ~25,000 visible hits, all ranked.
	{"common", "cafe"},
}

type searchBenchEnv struct {
	db    *sql.DB
	svc   *Service
	user  context.Context
	lists []ListParams
	stmts []capturedStmt // what the service issued for each list
}

// newSearchBenchEnv connects a service to the package's test database,
// building the collection on first use, and captures the statements.
func newSearchBenchEnv(b *testing.B) *searchBenchEnv {
	b.Helper()
	ctx := context.Background()
	db, registry, log := testRegistry(b)
	if registry.Current().Get(searchBenchCollection) == nil {
		loadSearchBench(b, db, registry, log)
	}
	e := &searchBenchEnv{
		db:   db.DB,
		svc:  New(db, registry),
		user: auth.NewContext(ctx, &auth.Principal{UserID: "00000000-0000-0000-0000-000000000002", Role: auth.RoleUser}, nil),
	}
	perPage := 20
	req, err := page.New(nil, &perPage, true)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range searchBenchQueries {
		e.lists = append(e.lists, ListParams{Page: req, Search: q.terms})
	}

	// Capture each list's one statement through a recording pool.
	connector, err := pq.NewConnector(pgtest.URL())
	if err != nil {
		b.Fatal(err)
	}
	rec := &recorder{}
	spyDB := sql.OpenDB(recordingConnector{connector, rec})
	b.Cleanup(func() { spyDB.Close() })
	spy := New(bun.NewDB(spyDB, pgdialect.New()), registry)
	for i, p := range e.lists {
		rec.reset()
		if _, err := spy.List(e.user, searchBenchCollection, p); err != nil {
			b.Fatal(err)
		}
		got := rec.take()
		if len(got) != 1 {
			b.Fatalf("%s: the service issued %d statements, want 1", searchBenchQueries[i].name, len(got))
		}
		e.stmts = append(e.stmts, got[0])
	}

	// Both sides must return the same page, and a full one.
	for i, p := range e.lists {
		list, err := e.svc.List(e.user, searchBenchCollection, p)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := e.raw(e.stmts[i])
		if err != nil || string(raw) != string(list.Items) {
			b.Fatalf("%s: raw SQL differs from the service (err %v)", searchBenchQueries[i].name, err)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(list.Items, &items); err != nil || len(items) != perPage {
			b.Fatalf("%s: %d items (err %v), want %d", searchBenchQueries[i].name, len(items), err, perPage)
		}
	}
	return e
}

// loadSearchBench creates the collection as an admin would and fills it in
// one INSERT … SELECT: a three-word title, a ~300-byte HTML body of 40
// words drawn (deterministically) from searchBenchWords, "zéphyr" in every
// 100th body, one of 500 authors' emails, and half the rows published (the
// list rule's condition). Searched are title (weight A), body and author.
func loadSearchBench(b *testing.B, db *bun.DB, registry *collections.Registry, log *slog.Logger) {
	b.Helper()
	admin := auth.NewContext(context.Background(), &auth.Principal{UserID: "00000000-0000-0000-0000-000000000001", Role: auth.RoleAdmin}, nil)
	rule := "published = true"
	_, err := collections.NewService(db, registry, log, collections.Options{}).Create(admin, collections.Input{
		Name: opt.Some(searchBenchCollection),
		Schema: opt.Some([]*collections.Field{
			{Name: "title", Type: "text"},
			{Name: "body", Type: "editor"},
			{Name: "author", Type: "email"},
			{Name: "views", Type: "number"},
			{Name: "published", Type: "bool"},
		}),
		ListRule: opt.Some(&rule),
		ViewRule: opt.Some(&rule),
	})
	if err != nil {
		b.Fatal(err)
	}
	words := make([]string, len(searchBenchWords))
	for i, w := range searchBenchWords {
		words[i] = "'" + w + "'"
	}
	vocab := "ARRAY[" + strings.Join(words, ", ") + "]"
	pick := func(seed string) string {
		return fmt.Sprintf("(%s)[1 + abs(hashint4(%s)) %% %d]", vocab, seed, len(searchBenchWords))
	}
	table := collections.TableOf(searchBenchCollection)
	for _, stmt := range []string{
		fmt.Sprintf(`INSERT INTO %s (title, body, author, views, published)
SELECT initcap(%s || ' ' || %s || ' ' || %s),
       '<p>' || (SELECT string_agg(%s, ' ') FROM generate_series(1, 40) AS k) || CASE WHEN i %% 100 = 0 THEN ' zéphyr' ELSE '' END || '</p>',
       'author' || i %% 500 || '@example.com', i %% 1000, i %% 2 = 0
FROM generate_series(1, %d) AS i`, table, pick("i * 3"), pick("i * 3 + 1"), pick("i * 3 + 2"), pick("i * 64 + k + 7"), searchBenchRows),
		"VACUUM ANALYZE " + table,
	} {
		if _, err := db.DB.Exec(stmt); err != nil {
			b.Fatal(err)
		}
	}
}

// raw runs a captured statement, which yields the page as one JSON
// array, as Service.List reads it.
func (e *searchBenchEnv) raw(st capturedStmt) ([]byte, error) {
	var items []byte
	err := e.db.QueryRowContext(context.Background(), st.query, st.args...).Scan(&items)
	return items, err
}

// BenchmarkSearch lists the 20 best-ranked matches of each query (no sort,
// so ranked; no total) as a user the list rule applies to: "service" is
// Service.List, "raw-sql" the statement it issues, run directly.
func BenchmarkSearch(b *testing.B) {
	e := newSearchBenchEnv(b)
	for i, q := range searchBenchQueries {
		b.Logf("%s: %s %v", q.name, e.stmts[i].query, e.stmts[i].args)
		b.Run(q.name+"/service", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.svc.List(e.user, searchBenchCollection, e.lists[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(q.name+"/raw-sql", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.raw(e.stmts[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
