package records

// Benchmarks of the records service against the bare SQL it issues.
//
// The question they answer: what does the service (collection lookup, rule
// and filter parsing and compilation, statement building) cost on top of the
// one statement PostgreSQL runs? Each Benchmark function runs the service and
// its baselines as sub-benchmarks, so they land side by side in one run:
//
//	go test ./internal/records/ -run XXX -bench . -benchtime 2s -count 3
//
// The throughput ratio of the service is raw-sql ns/op ÷ service ns/op.
//
// Nothing here runs under plain `go test`: the 100,000-row fixture is built
// by the first benchmark that needs it and kept in the package's test
// database for the others.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

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
	benchCollection = "bench_posts"
	benchRows       = 100_000
	// benchFilter and benchSort are what a client sends; with the list
	// rule "published = true" the service compiles all three into SQL.
	benchFilter = "views > 500 && title ~ 'post 1'"
	benchSort   = "-views"
	// benchGetTitle names the row fetched by id: an even i, so published
	// and visible through the view rule.
	benchGetTitle = "post 4242"
)

// plainListSQL is the list as a hand-written Go handler would query it:
// constants inlined, plain columns, JSON built in Go, in the service's
// order (the id breaks ties in the direction of the last key).
const plainListSQL = `SELECT id, title, body, views, published, tags, created, updated
FROM data.bench_posts
WHERE published AND views > 500 AND title ILIKE '%post 1%'
ORDER BY views DESC, id DESC LIMIT 20`

// benchEnv is what every benchmark needs: the service, a caller it applies
// the rules to, and the statements the service issues, captured, to run
// straight through the driver.
type benchEnv struct {
	db  *sql.DB // the service's own pool, used by the raw baselines too
	svc *Service
	// user is a signed-in non-admin: the list and view rules apply.
	user context.Context

	list, listTotal ListParams
	getID           string

	// The statements the service issued for list, listTotal (count, then
	// select) and get, with their bound arguments.
	listStmt                 capturedStmt
	countStmt, listTotalStmt capturedStmt
	getStmt                  capturedStmt
}

// newBenchEnv connects a fresh service to the package's test database,
// creating and loading the collection on first use (it then stays for the
// rest of the binary: loading it takes seconds, connecting milliseconds).
func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	ctx := context.Background()
	db, registry, log := testRegistry(b)
	if registry.Current().Get(benchCollection) == nil {
		loadBenchCollection(b, db, registry, log)
	}

	e := &benchEnv{
		db:   db.DB,
		svc:  New(db, registry),
		user: auth.NewContext(ctx, &auth.Principal{UserID: "00000000-0000-0000-0000-000000000002", Role: auth.RoleUser}, nil),
	}
	perPage := 20
	for _, p := range []struct {
		out       *ListParams
		skipTotal bool
	}{{&e.list, true}, {&e.listTotal, false}} {
		req, err := page.New(nil, &perPage, p.skipTotal)
		if err != nil {
			b.Fatal(err)
		}
		*p.out = ListParams{Page: req, Filter: benchFilter, Sort: benchSort}
	}
	table := collections.TableOf(benchCollection)
	if err := e.db.QueryRowContext(ctx, "SELECT id FROM "+table+" WHERE title = $1", benchGetTitle).Scan(&e.getID); err != nil {
		b.Fatal(err)
	}
	e.capture(b, db, registry)
	e.check(b)
	return e
}

// loadBenchCollection creates the collection through collections.Service, as
// an admin would, then fills its table in one INSERT … SELECT.
func loadBenchCollection(b *testing.B, db *bun.DB, registry *collections.Registry, log *slog.Logger) {
	b.Helper()
	admin := auth.NewContext(context.Background(), &auth.Principal{UserID: "00000000-0000-0000-0000-000000000001", Role: auth.RoleAdmin}, nil)
	rule := "published = true"
	_, err := collections.NewService(db, registry, log, collections.Options{}).Create(admin, collections.Input{
		Name: opt.Some(benchCollection),
		Schema: opt.Some([]*collections.Field{
			{Name: "title", Type: "text"},
			{Name: "body", Type: "text"},
			{Name: "views", Type: "number"},
			{Name: "published", Type: "bool"},
			{Name: "tags", Type: "select", Select: &collections.SelectOptions{Values: []string{"a", "b", "c", "d", "e"}, MaxSelect: 5}},
		}),
		ListRule: opt.Some(&rule),
		ViewRule: opt.Some(&rule),
	})
	if err != nil {
		b.Fatal(err)
	}
	table := collections.TableOf(benchCollection)
	for _, stmt := range []string{
		// Deterministic values: half the rows published (even i, which is
		// also even views), views spread over 0–999, 0 to 4 tags.
		fmt.Sprintf(`INSERT INTO %s (title, body, views, published, tags)
SELECT 'post ' || i, repeat('lorem ', 50), i %% 1000, i %% 2 = 0, (ARRAY['a','b','c','d','e'])[1:i %% 5]
FROM generate_series(1, %d) AS i`, table, benchRows),
		// Collections get no index on plain fields; someone sorting a big
		// collection by views would add this one, so the benchmark does.
		"CREATE INDEX ON " + table + " (views)",
		// VACUUM too, so autovacuum does not wake up on the 100,000 new
		// rows in the middle of a measurement.
		"VACUUM ANALYZE " + table,
	} {
		if _, err := db.DB.Exec(stmt); err != nil {
			b.Fatal(err)
		}
	}
}

// capture runs each operation once through a second service whose
// connections record every query, so the raw baselines run exactly the
// statements and arguments the service sends, not a copy that could drift.
func (e *benchEnv) capture(b *testing.B, db *bun.DB, registry *collections.Registry) {
	b.Helper()
	connector, err := pq.NewConnector(pgtest.URL())
	if err != nil {
		b.Fatal(err)
	}
	rec := &recorder{}
	sqldb := sql.OpenDB(recordingConnector{connector, rec})
	b.Cleanup(func() { sqldb.Close() })
	spy := New(bun.NewDB(sqldb, pgdialect.New()), registry)

	take := func(what string, n int, run func() error) []capturedStmt {
		rec.reset()
		if err := run(); err != nil {
			b.Fatalf("%s: %v", what, err)
		}
		got := rec.take()
		if len(got) != n {
			b.Fatalf("%s issued %d statements, want %d", what, len(got), n)
		}
		return got
	}
	e.listStmt = take("list", 1, func() error { _, err := spy.List(e.user, benchCollection, e.list); return err })[0]
	both := take("list with total", 2, func() error { _, err := spy.List(e.user, benchCollection, e.listTotal); return err })
	e.countStmt, e.listTotalStmt = both[0], both[1]
	e.getStmt = take("get", 1, func() error { _, err := spy.Get(e.user, benchCollection, e.getID, GetParams{}); return err })[0]
}

// check makes sure each baseline returns what the service does, so the
// comparison is between equal work.
func (e *benchEnv) check(b *testing.B) {
	b.Helper()
	list, err := e.svc.List(e.user, benchCollection, e.list)
	if err != nil {
		b.Fatal(err)
	}
	var items []any
	if err := json.Unmarshal(list.Items, &items); err != nil || len(items) != 20 {
		b.Fatalf("service list: %d items, err %v; want 20", len(items), err)
	}
	raw, err := e.rawList(e.listStmt)
	if err != nil || string(raw) != string(list.Items) {
		b.Fatalf("raw-sql list differs from the service (err %v):\n%s\n%s", err, raw, list.Items)
	}
	withTotal, err := e.svc.List(e.user, benchCollection, e.listTotal)
	if err != nil {
		b.Fatal(err)
	}
	total, raw, err := e.rawListTotal()
	if err != nil || total != withTotal.Total || string(raw) != string(withTotal.Items) {
		b.Fatalf("raw-sql list with total differs from the service (err %v): total %d, want %d", err, total, withTotal.Total)
	}
	plain, err := e.plainList()
	if err != nil {
		b.Fatal(err)
	}
	var plainItems []any
	if err := json.Unmarshal(plain, &plainItems); err != nil || !reflect.DeepEqual(plainItems, items) {
		b.Fatalf("raw-sql-plain list differs from the service (err %v):\n%s\n%s", err, plain, list.Items)
	}
	rec, err := e.svc.Get(e.user, benchCollection, e.getID, GetParams{})
	if err != nil {
		b.Fatal(err)
	}
	rawRec, err := e.rawGet()
	if err != nil || string(rawRec) != string(rec) {
		b.Fatalf("raw-sql get differs from the service (err %v):\n%s\n%s", err, rawRec, rec)
	}
}

// rawList runs a captured list statement, which yields the page as one
// JSON array, as Service.List reads it.
func (e *benchEnv) rawList(st capturedStmt) ([]byte, error) {
	var items []byte
	err := e.db.QueryRowContext(context.Background(), st.query, st.args...).Scan(&items)
	return items, err
}

// rawListTotal is the count and the page, as Service.List runs them.
func (e *benchEnv) rawListTotal() (int, []byte, error) {
	var total int
	if err := e.db.QueryRowContext(context.Background(), e.countStmt.query, e.countStmt.args...).Scan(&total); err != nil {
		return 0, nil, err
	}
	items, err := e.rawList(e.listTotalStmt)
	return total, items, err
}

func (e *benchEnv) rawGet() ([]byte, error) {
	var rec []byte
	err := e.db.QueryRowContext(context.Background(), e.getStmt.query, e.getStmt.args...).Scan(&rec)
	return rec, err
}

// plainRecord is the RecordResponse shape of a bench_posts row, for the
// hand-written baseline.
type plainRecord struct {
	ID      string    `json:"id"`
	Data    plainData `json:"data"`
	Created string    `json:"created"`
	Updated string    `json:"updated"`
	Expand  any       `json:"expand"`
}

type plainData struct {
	Title     *string  `json:"title"`
	Body      *string  `json:"body"`
	Views     *float64 `json:"views"`
	Published *bool    `json:"published"`
	Tags      []string `json:"tags"`
}

// timeJSON is the format of collections.TimestampJSON.
const timeJSON = "2006-01-02T15:04:05.000Z"

// plainList runs plainListSQL, scans the rows into Go values and marshals
// them: what a handler written for this one table would do.
func (e *benchEnv) plainList() ([]byte, error) {
	rows, err := e.db.QueryContext(context.Background(), plainListSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]plainRecord, 0, 20)
	for rows.Next() {
		var r plainRecord
		var tags pq.StringArray
		var created, updated time.Time
		if err := rows.Scan(&r.ID, &r.Data.Title, &r.Data.Body, &r.Data.Views, &r.Data.Published, &tags, &created, &updated); err != nil {
			return nil, err
		}
		r.Data.Tags = []string(tags)
		if r.Data.Tags == nil {
			r.Data.Tags = []string{}
		}
		r.Created, r.Updated = created.UTC().Format(timeJSON), updated.UTC().Format(timeJSON)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// BenchmarkList lists 20 records with a filter and a sort from the
// 100,000-row collection, as a user the list rule applies to.
//
//   - service: Service.List without the total (skip_total).
//   - raw-sql: the same statement with the same arguments straight through
//     the driver, rows joined the same way; the difference is the service's
//     own overhead (lookup, parse, compile, build).
//   - service-with-total / raw-sql-with-total: the same with the count query.
//   - raw-sql-plain: the hand-written handler baseline (plainListSQL, JSON
//     built in Go), i.e. what the generic service costs against code written
//     for this one table.
func BenchmarkList(b *testing.B) {
	e := newBenchEnv(b)
	b.Logf("statement: %s %v", e.listStmt.query, e.listStmt.args)
	b.Run("service", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.svc.List(e.user, benchCollection, e.list); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-sql", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.rawList(e.listStmt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("service-with-total", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.svc.List(e.user, benchCollection, e.listTotal); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-sql-with-total", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := e.rawListTotal(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-sql-plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.plainList(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGet fetches one record by id through the view rule ("service")
// and runs the statement the service issues straight through the driver
// ("raw-sql"), so the difference is the service's own overhead.
func BenchmarkGet(b *testing.B) {
	e := newBenchEnv(b)
	b.Logf("statement: %s %v", e.getStmt.query, e.getStmt.args)
	b.Run("service", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.svc.Get(e.user, benchCollection, e.getID, GetParams{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-sql", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.rawGet(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// capturedStmt is one query as the driver received it.
type capturedStmt struct {
	query string
	args  []any
}

// recorder collects the queries of a recordingConnector's connections.
type recorder struct {
	mu    sync.Mutex
	stmts []capturedStmt
}

func (r *recorder) add(query string, args []driver.NamedValue) {
	st := capturedStmt{query: query, args: make([]any, len(args))}
	for i, a := range args {
		st.args[i] = a.Value
	}
	r.mu.Lock()
	r.stmts = append(r.stmts, st)
	r.mu.Unlock()
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.stmts = nil
	r.mu.Unlock()
}

func (r *recorder) take() []capturedStmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stmts
}

// recordingConnector wraps the pq connector so each connection records
// its queries before running them.
type recordingConnector struct {
	*pq.Connector
	rec *recorder
}

func (c recordingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return recordingConn{conn, c.rec}, nil
}

// recordingConn passes queries to pq's connection, recording them. It
// converts arguments as pq does (CheckNamedValue), so the recorded values
// are the ones pq sent.
type recordingConn struct {
	driver.Conn
	rec *recorder
}

func (c recordingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.rec.add(query, args)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c recordingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}
