// Command bench measures FastCMS over REST and GraphQL beside the SQL it
// issues ("SQL twins"), on a database of its own that it creates, fills
// through the CSV import, and drops at the end.
//
//	go run ./bench --quick            # about a minute, concurrency 8
//	go run ./bench                    # the full profile, concurrencies 1, 8, 32
//	go run ./bench --quick --peers    # also PostGraphile 4, PocketBase and a pgbench floor (peers.go)
//	go run ./bench subs --server-binary BIN [--baseline-binary BIN]  # realtime load, server in a subprocess (subsload.go)
//
// It writes results.json and summary.md to --out (default
// bench/results/<timestamp>) and exits 1 when a run misses the coarse
// thresholds (errors > 1 %, or a service below 0.05× its twin).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"fastcms/internal/app"
	"fastcms/internal/config"
	"fastcms/internal/database"
	"fastcms/migrations"
)

// profile sizes the dataset and the runs.
type profile struct {
	Name            string        `json:"name"`
	Authors         int           `json:"authors"`
	Posts           int           `json:"posts"`
	CommentsPerPost int           `json:"comments_per_post"`
	Concurrencies   []int         `json:"concurrencies"`
	RunTime         time.Duration `json:"run_time_ns"`
	MaxRequests     int           `json:"max_requests"`
	Warmup          int           `json:"warmup_requests"`
	OpenLoopTime    time.Duration `json:"open_loop_time_ns"`
	Seed            uint64        `json:"seed"`
}

var (
	quickProfile = profile{Name: "quick", Authors: 1000, Posts: 10_000, CommentsPerPost: 2,
		Concurrencies: []int{8}, RunTime: time.Second, MaxRequests: 20_000, Warmup: 50, OpenLoopTime: 3 * time.Second, Seed: 42}
	fullProfile = profile{Name: "full", Authors: 1000, Posts: 100_000, CommentsPerPost: 5,
		Concurrencies: []int{1, 8, 32}, RunTime: 2500 * time.Millisecond, MaxRequests: 200_000, Warmup: 200, OpenLoopTime: 10 * time.Second, Seed: 42}
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
}

func run() error {
	if len(os.Args) > 1 && os.Args[1] == "subs" {
		return subsMain(os.Args[2:])
	}
	quick := flag.Bool("quick", false, "the quick profile (10k posts, concurrency 8, 1 s runs)")
	out := flag.String("out", "", "result directory (default bench/results/<timestamp>)")
	dbURL := flag.String("database-url", envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to use; the benchmark creates and drops its own database there")
	posts := flag.Int("posts", 0, "override the number of posts")
	only := flag.String("only", "", "run only workloads whose name contains this")
	showSQL := flag.Bool("show-sql", false, "print the captured statements of each workload")
	keep := flag.Bool("keep-db", false, "do not drop the benchmark database")
	openRate := flag.Float64("open-rate", 0, "rate of the open-loop run (default 0.3× the closed-loop get-by-id rate at concurrency ≤ 8)")
	summarize := flag.String("summarize", "", "only rewrite summary.md beside this results.json")
	withPeers := flag.Bool("peers", false, "also measure PostGraphile 4, PocketBase and the pgbench floor (installed by bench/peers/install.sh)")
	peerRounds := flag.Int("peer-rounds", 3, "interleaved rounds of each peer workload (the table shows the median)")
	peerConc := flag.String("peer-concurrency", "", "comma-separated concurrencies of the peer workloads (default the profile's)")
	pbSync := flag.String("pocketbase-synchronous", "", "PocketBase's SQLite synchronous pragma, FULL for durable commits (default its own, NORMAL)")
	flag.Parse()
	if *summarize != "" {
		js, err := os.ReadFile(*summarize)
		if err != nil {
			return err
		}
		b := &bench{res: &results{}}
		if err := json.Unmarshal(js, b.res); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(filepath.Dir(*summarize), "summary.md"), []byte(b.summary()), 0o644)
	}

	p := fullProfile
	if *quick {
		p = quickProfile
	}
	peerConcs, err := parseConcurrencies(*peerConc, p.Concurrencies)
	if err != nil {
		return err
	}
	if *posts > 0 {
		p.Posts = *posts
	}
	if *out == "" {
		*out = filepath.Join("bench", "results", time.Now().UTC().Format("20060102-150405"))
	}
	started := time.Now()
	ctx := context.Background()

	// The benchmark's own database, through the admin database.
	_, adminDSN, err := database.WithDatabase(*dbURL, "postgres")
	if err != nil {
		return err
	}
	// Starts a private cluster only when nothing answers and PostgreSQL's
	// binaries are installed; otherwise a no-op.
	stopPG, err := database.EnsureServer(adminDSN, "./data", slog.Default())
	if err != nil {
		return err
	}
	defer stopPG()
	name := fmt.Sprintf("fastcms_bench_%d", os.Getpid())
	_, dsn, _ := database.WithDatabase(*dbURL, name)
	admin, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	if !*keep {
		defer func() {
			if _, err := admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)"); err != nil {
				fmt.Fprintln(os.Stderr, "bench: dropping", name+":", err)
			}
		}()
	}
	logf("database %s", name)

	// The server: its pool goes through the counting driver.
	serverRec := &recorder{}
	sqldb, err := openRecorded(dsn, serverRec)
	if err != nil {
		return err
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	defer db.Close()
	if err := database.Migrate(ctx, db, migrations.FS); err != nil {
		return err
	}
	cfg, err := config.Load(nil, func(string) string { return "" })
	if err != nil {
		return err
	}
	cfg.DatabaseURL = dsn
	cfg.JWTSecret = []byte("bench-secret-bench-secret-bench-secret-0")
	cfg.MaxImportBytes = 1 << 30
	// The admin's one token serves every run, and the full profile with
	// --peers outlasts the default 15 minutes on a busy machine.
	cfg.AccessTokenTTL = 24 * time.Hour
	// Request logs are formatted as in production but thrown away.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	a, err := app.New(cfg, db, app.Options{Log: log})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close below
	defer srv.Close()

	twinRec := &recorder{}
	twinDB, err := openRecorded(dsn, twinRec)
	if err != nil {
		return err
	}
	defer twinDB.Close()

	b := &bench{
		p: p, base: "http://" + ln.Addr().String(), serverRec: serverRec, twinRec: twinRec, twin: twinDB,
		raw: sqldb, showSQL: *showSQL, only: *only, openRate: *openRate, pbSync: *pbSync,
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConns: 512, MaxIdleConnsPerHost: 512, MaxConnsPerHost: 64, DisableCompression: true, IdleConnTimeout: time.Minute,
		}, Timeout: 5 * time.Minute},
		res: &results{Profile: p, Started: started.UTC().Format(time.RFC3339), GoVersion: goVersion(), CPUs: numCPU(), LoadAvgStart: loadAvg()},
	}
	if err := b.setup(ctx); err != nil {
		return err
	}
	if err := b.loadData(ctx); err != nil {
		return err
	}
	// The peers start (and PocketBase is loaded) while our table holds the
	// dataset alone; they are measured after our workloads, whose writes
	// their own writes would otherwise change.
	var ps *peers
	if *withPeers {
		if ps, err = b.startPeers(ctx, dsn); err != nil {
			return err
		}
		defer ps.stop()
	}
	if err := b.runWorkloads(ctx); err != nil {
		return err
	}
	b.res.Subscriptions = b.subscriptionsNote(ctx)
	if ps != nil {
		if err := b.runPeers(ctx, ps, max(1, *peerRounds), peerConcs); err != nil {
			return err
		}
	} else {
		b.res.NotDone = append(b.res.NotDone, "peers: not requested (--peers measures PostGraphile 4, PocketBase and the pgbench floor)")
	}
	b.res.NotDone = append(b.res.NotDone,
		"PostgreSQL's own CPU: CPU s/1k is this process only (client, server and twin driver together)")
	b.res.TotalSeconds = time.Since(started).Seconds()
	b.res.LoadAvgEnd = loadAvg()
	_, b.res.PeakRSSMB = cpuSeconds()
	failures := b.check()
	b.res.Failures = failures
	if err := b.write(*out); err != nil {
		return err
	}
	logf("wrote %s/results.json and %s/summary.md in %.0f s", *out, *out, b.res.TotalSeconds)
	if len(failures) > 0 {
		if ps != nil {
			ps.stop() // os.Exit skips the deferred stop
		}
		for _, f := range failures {
			fmt.Fprintln(os.Stderr, "bench: threshold missed:", f)
		}
		os.Exit(1)
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

type bench struct {
	p         profile
	base      string
	client    *http.Client
	serverRec *recorder
	twinRec   *recorder
	twin      *sql.DB
	raw       *sql.DB
	showSQL   bool
	openRate  float64
	only      string
	token     string
	// pbSync is PocketBase's synchronous pragma ("": its default, NORMAL).
	pbSync string
	res    *results

	collID   map[string]string
	authors  []string // ids in file order
	posts    []string
	postsPub []string // published posts, for get-by-id
}

// request is one pre-encoded HTTP request.
type request struct {
	Method, Path string
	Body         []byte
	ContentType  string
	Auth         bool   // send the admin token
	GraphQL      bool   // a 200 with "errors" is a failure
	Want         int    // expected status; 0 = any 2xx
	Base         string // another server (a peer); "" = ours
	Token        string // the token a peer's request carries, with Auth
}

func gql(query string, vars map[string]any, auth bool) request {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return request{Method: "POST", Path: "/graphql", Body: body, ContentType: "application/json", Auth: auth, GraphQL: true}
}

func restJSON(method, path string, v any, auth bool) request {
	r := request{Method: method, Path: path, Auth: auth}
	if v != nil {
		body, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		r.Body, r.ContentType = body, "application/json"
	}
	return r
}

var errorsKey = []byte(`"errors":[{`)

// do sends r and returns the body; a status other than the expected one,
// or GraphQL errors, is an error.
func (b *bench) do(ctx context.Context, r request) ([]byte, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	base, token := b.base, b.token
	if r.Base != "" {
		base, token = r.Base, r.Token
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, base+r.Path, body)
	if err != nil {
		return nil, err
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.Auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	ok := resp.StatusCode/100 == 2
	if r.Want != 0 {
		ok = resp.StatusCode == r.Want
	}
	if !ok {
		return out, fmt.Errorf("%s %s: %d %s", r.Method, r.Path, resp.StatusCode, truncate(out, 300))
	}
	if r.GraphQL && bytes.Contains(out, errorsKey) {
		return out, fmt.Errorf("graphql: %s", truncate(out, 300))
	}
	return out, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// replay runs recorded steps through the twin pool and encodes every row
// read as JSON, as a hand-written handler would.
func (b *bench) replay(ctx context.Context, steps []sqlStep) error {
	var tx *sql.Tx
	var txConn int64 // the recorded connection of the transaction
	defer func() {
		if tx != nil {
			tx.Rollback() //nolint:errcheck // only after a failure
		}
	}()
	var buf bytes.Buffer
	for _, s := range steps {
		// A statement of another connection ran beside the transaction.
		q := queryer(b.twin)
		if tx != nil && s.Conn == txConn {
			q = tx
		}
		if len(s.Fresh) > 0 {
			s.Args = slices.Clone(s.Args)
			for _, j := range s.Fresh {
				s.Args[j] = uuid.NewString()
			}
		}
		switch s.Kind {
		case kindBegin:
			var err error
			if tx, err = b.twin.BeginTx(ctx, &sql.TxOptions{Isolation: s.Iso, ReadOnly: s.ReadOnly}); err != nil {
				return err
			}
			txConn = s.Conn
		case kindCommit, kindRollback:
			if tx == nil {
				return errors.New("commit outside a transaction")
			}
			var err error
			if s.Kind == kindCommit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			tx = nil
			if err != nil {
				return err
			}
		case kindExec:
			if _, err := q.ExecContext(ctx, s.Query, s.Args...); err != nil {
				return err
			}
		case kindQuery:
			rows, err := q.QueryContext(ctx, s.Query, s.Args...)
			if err != nil {
				return err
			}
			buf.Reset()
			if err := encodeRows(&buf, rows); err != nil {
				return err
			}
		}
	}
	return nil
}

type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// encodeRows writes rows as a JSON array of arrays; a value that is JSON
// text (PostgreSQL-built JSON) is embedded as is.
func encodeRows(w *bytes.Buffer, rows *sql.Rows) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var out [][]any
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make([]any, len(cols))
		for i, v := range raw {
			switch {
			case v == nil:
			case len(v) > 0 && (v[0] == '{' || v[0] == '[') && json.Valid(v):
				row[i] = json.RawMessage(bytes.Clone(v))
			default:
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(out)
}

// loadAvg is the 1-minute load average (Linux), to tell a busy machine's
// numbers apart.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := bytes.Fields(b); len(f) > 0 {
		return string(f[0])
	}
	return ""
}

func goVersion() string { return runtimeVersion() }
