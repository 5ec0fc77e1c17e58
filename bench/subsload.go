package main

// The realtime load tool: `go run ./bench subs --server-binary BIN
// [--baseline-binary BIN]` starts each server binary as a subprocess on a
// database of its own and holds the subscribers in this process, so the
// server's RSS and CPU (read from /proc of its pid) are the server's
// alone. Every scenario runs against each binary in turn, in the same run,
// so each figure has a "before" measured under the same machine load.
//
// Scenarios (--scenarios, comma-separated):
//   - idle: N idle items_mutated subscriptions (one socket each); server
//     RSS per subscription and CPU while idle.
//   - fanout: S subscribers of items_mutated while items are created at a
//     fixed rate; delivered/expected and latency from sending the create
//     to each subscriber's read.
//   - live: S identical live queries (anonymous, public rules) while items
//     are created; database transactions and data-table scans per write
//     (a calibration run of the same writes without subscribers is
//     subtracted) and latency from sending a write to each update.
//   - owner: the same with U users, S/U subscribers each, under the rule
//     owner = @request.auth.id; a write reaches only its owner's
//     subscribers.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/lib/pq"

	"fastcms/internal/database"
)

type subsConfig struct {
	dbURL       string
	idle        int
	subscribers int
	users       int
	writes      int
	rate        float64
	liveRate    float64
}

// subsRow is one scenario against one binary.
type subsRow struct {
	Scenario string            `json:"scenario"`
	Binary   string            `json:"binary"`
	LoadAvg  string            `json:"load_avg"`
	Figures  map[string]string `json:"figures"`
}

func subsMain(args []string) error {
	fs := flag.NewFlagSet("subs", flag.ExitOnError)
	server := fs.String("server-binary", "", "the server binary to measure (required)")
	baseline := fs.String("baseline-binary", "", "a baseline server binary measured in the same run")
	scenarios := fs.String("scenarios", "idle,fanout,live,owner", "which scenarios")
	out := fs.String("out", "", "write the rows as JSON here too")
	var c subsConfig
	fs.StringVar(&c.dbURL, "database-url", envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server")
	fs.IntVar(&c.idle, "idle", 10_000, "idle subscriptions")
	fs.IntVar(&c.subscribers, "subscribers", 1000, "subscribers of fanout, live and owner")
	fs.IntVar(&c.users, "users", 100, "distinct users of owner")
	fs.IntVar(&c.writes, "writes", 300, "creates of fanout")
	fs.Float64Var(&c.rate, "rate", 100, "creates per second of fanout")
	fs.Float64Var(&c.liveRate, "live-rate", 5, "creates per second of live and owner (each one a refresh)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *server == "" {
		return errors.New("subs: --server-binary is required")
	}
	raiseFileLimit()
	bins := []string{*server}
	if *baseline != "" {
		bins = []string{*baseline, *server}
	}
	logf("subs: %d cores, load average %s", runtime.NumCPU(), loadAvg())
	var rows []subsRow
	for _, sc := range strings.Split(*scenarios, ",") {
		for _, bin := range bins {
			row, err := runSubsScenario(context.Background(), c, strings.TrimSpace(sc), bin)
			row.LoadAvg = loadAvg()
			if err != nil {
				return fmt.Errorf("%s on %s: %w", sc, bin, err)
			}
			logf("%s %s: %v", row.Scenario, filepath.Base(bin), row.Figures)
			rows = append(rows, row)
		}
	}
	fmt.Printf("\n%d cores (runtime.NumCPU); clients in this process (pid %d), each server a subprocess\n\n", runtime.NumCPU(), os.Getpid())
	fmt.Println("| scenario | binary | load avg | figures |")
	fmt.Println("|---|---|---|---|")
	for _, r := range rows {
		keys := make([]string, 0, len(r.Figures))
		for k := range r.Figures {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+" "+r.Figures[k])
		}
		fmt.Printf("| %s | %s | %s | %s |\n", r.Scenario, filepath.Base(r.Binary), r.LoadAvg, strings.Join(parts, "; "))
	}
	if *out != "" {
		js, _ := json.MarshalIndent(map[string]any{"cores": runtime.NumCPU(), "rows": rows}, "", "  ")
		return os.WriteFile(*out, js, 0o644)
	}
	return nil
}

// raiseFileLimit lifts this process's open-file limit to its hard limit;
// the servers it starts inherit it.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// subsServer is one server subprocess on its own database.
type subsServer struct {
	cmd    *exec.Cmd
	base   string
	db     *sql.DB
	admin  string // admin access token
	drop   func()
	client *http.Client
	errors atomic.Int64 // subscriptions that ended with an error
}

func startSubsServer(ctx context.Context, c subsConfig, bin string) (*subsServer, error) {
	_, adminDSN, err := database.WithDatabase(c.dbURL, "postgres")
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("fastcms_subs_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	_, dsn, _ := database.WithDatabase(c.dbURL, name)
	adm, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return nil, err
	}
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		adm.Close()
		return nil, err
	}
	s := &subsServer{client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	s.drop = func() {
		if s.db != nil {
			s.db.Close()
		}
		if _, err := adm.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)"); err != nil {
			logf("dropping %s: %v", name, err)
		}
		adm.Close()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.drop()
		return nil, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	dir, err := os.MkdirTemp("", "fastcms-subs-")
	if err != nil {
		s.drop()
		return nil, err
	}
	s.cmd = exec.Command(bin)
	s.cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "PORT="+port, "DATA_DIR="+dir, "LOG_LEVEL=error",
		"JWT_SECRET=subs-bench-secret-subs-bench-secret-0", "GRAPHQL_WS_MAX_SOCKETS=1000000",
		// A small pool: PostgreSQL's connections are shared with whatever else runs.
		"DATABASE_MAX_CONNS=16",
		// The owner scenario logs its users in from one address.
		"AUTH_RATE_LIMIT_IP=0")
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		s.drop()
		return nil, err
	}
	s.base = "http://127.0.0.1:" + port
	if s.db, err = sql.Open("postgres", dsn); err != nil {
		s.stop()
		return nil, err
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(s.base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("the server did not become healthy")
		}
	}
	var setup struct {
		Token struct {
			Access string `json:"access_token"`
		} `json:"token"`
	}
	if err := s.call(ctx, "POST", "/api/v1/setup", "", map[string]any{"email": "root@subs.bench", "password": "passw0rd!", "password_confirm": "passw0rd!"}, &setup); err != nil {
		s.stop()
		return nil, err
	}
	s.admin = setup.Token.Access
	return s, nil
}

func (s *subsServer) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
	s.drop()
}

// call sends a JSON request and decodes a 2xx answer into out.
func (s *subsServer) call(ctx context.Context, method, path, token string, body, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, truncate(raw.Bytes(), 300))
	}
	if out != nil {
		return json.Unmarshal(raw.Bytes(), out)
	}
	return nil
}

// procStat is the server's CPU time and resident memory.
type procStat struct {
	cpu time.Duration
	rss int64 // bytes
}

func readProc(pid int) procStat {
	var ps procStat
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name, which ends with the last ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 12 {
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			ps.cpu = time.Duration(ut+st) * (time.Second / 100) // USER_HZ
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				ps.rss = kb << 10
			}
		}
	}
	return ps
}

// wsClient is one graphql-transport-ws socket with one subscription.
type wsClient struct {
	c *websocket.Conn
}

var subsDialer = websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 30 * time.Second}

// subscribe opens a socket as token ("" anonymous) and starts query; each
// "next" message goes to onNext from the socket's reader goroutine. The
// messages are classified by a byte search, not decoded: the clients share
// the machine with the server, and should cost it as little as they can.
func (s *subsServer) subscribe(ctx context.Context, token, query string, onNext func(msg []byte)) (*wsClient, error) {
	c, _, err := subsDialer.DialContext(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/graphql", nil)
	if err != nil {
		return nil, err
	}
	init := map[string]any{}
	if token != "" {
		init["Authorization"] = "Bearer " + token
	}
	if err := c.WriteJSON(map[string]any{"type": "connection_init", "payload": init}); err != nil {
		c.Close()
		return nil, err
	}
	var ack struct{ Type string }
	if err := c.ReadJSON(&ack); err != nil || ack.Type != "connection_ack" {
		c.Close()
		return nil, fmt.Errorf("websocket init: %v %q", err, ack.Type)
	}
	if err := c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}}); err != nil {
		c.Close()
		return nil, err
	}
	go func() {
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			switch {
			case bytes.Contains(msg, []byte(`"type":"next"`)):
				if onNext != nil {
					onNext(msg)
				}
			case bytes.Contains(msg, []byte(`"type":"ping"`)):
				_ = c.WriteJSON(map[string]any{"type": "pong"})
			case bytes.Contains(msg, []byte(`"type":"error"`)):
				if s.errors.Add(1) <= 3 {
					logf("subscription error: %s", msg)
				}
			}
		}
	}()
	return &wsClient{c: c}, nil
}

// openMany opens n subscriptions with up to 32 handshakes in flight.
func openMany(ctx context.Context, n int, open func(i int) (*wsClient, error)) ([]*wsClient, error) {
	out := make([]*wsClient, n)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				c, err := open(i)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("subscriber %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
				out[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		closeAll(out)
		return nil, firstErr
	}
	return out, ctx.Err()
}

func closeAll(cs []*wsClient) {
	for _, c := range cs {
		if c != nil {
			c.c.Close()
		}
	}
}

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) pct(p float64) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return "-"
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	i := int(p * float64(len(s)-1))
	return fmt.Sprintf("%.1f ms", float64(s[i])/float64(time.Millisecond))
}

func runSubsScenario(ctx context.Context, c subsConfig, scenario, bin string) (subsRow, error) {
	row := subsRow{Scenario: scenario, Binary: bin, Figures: map[string]string{}}
	s, err := startSubsServer(ctx, c, bin)
	if err != nil {
		return row, err
	}
	defer s.stop()
	pid := s.cmd.Process.Pid
	items := map[string]any{"name": "items", "create_rule": "", "list_rule": "", "view_rule": "",
		"schema": []any{map[string]any{"name": "n", "type": "number"}, map[string]any{"name": "owner", "type": "text"}}}
	if scenario == "owner" {
		rule := "owner = @request.auth.id"
		items["list_rule"], items["view_rule"] = rule, rule
	}
	if err := s.call(ctx, "POST", "/api/v1/collections", s.admin, items, nil); err != nil {
		return row, err
	}
	switch scenario {
	case "idle":
		return row, idleScenario(ctx, c, s, pid, &row)
	case "fanout":
		return row, fanoutScenario(ctx, c, s, &row)
	case "live", "owner":
		return row, liveScenario(ctx, c, s, pid, scenario == "owner", &row)
	}
	return row, fmt.Errorf("unknown scenario %q", scenario)
}

func idleScenario(ctx context.Context, c subsConfig, s *subsServer, pid int, row *subsRow) error {
	time.Sleep(time.Second)
	before := readProc(pid)
	clients, err := openMany(ctx, c.idle, func(int) (*wsClient, error) {
		return s.subscribe(ctx, "", `subscription { items_mutated { seq id } }`, nil)
	})
	if err != nil {
		return err
	}
	defer closeAll(clients)
	time.Sleep(2 * time.Second) // let the subscriptions settle
	held := readProc(pid)
	if n := s.errors.Load(); n > 0 {
		return fmt.Errorf("%d of %d subscriptions failed", n, c.idle)
	}
	const window = 10 * time.Second
	time.Sleep(window)
	after := readProc(pid)
	row.Figures["subscriptions"] = strconv.Itoa(c.idle)
	row.Figures["rss_before_mb"] = fmt.Sprintf("%.1f", float64(before.rss)/(1<<20))
	row.Figures["rss_held_mb"] = fmt.Sprintf("%.1f", float64(after.rss)/(1<<20))
	row.Figures["rss_per_sub_kb"] = fmt.Sprintf("%.1f", float64(after.rss-before.rss)/1024/float64(c.idle))
	row.Figures["idle_cpu_pct"] = fmt.Sprintf("%.2f", 100*float64(after.cpu-held.cpu)/float64(window))
	return nil
}

// writer creates n items at rate, with n = first+i for i = 0.., and owner
// chosen by owner(i); sent(i) is called just before each request.
func (s *subsServer) writer(ctx context.Context, n, first int, rate float64, owner func(i int) string, sent func(i int)) (writeLat *latencies, failed int64) {
	writeLat = &latencies{}
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; i < n; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			sent(i)
			if err := s.call(ctx, "POST", "/api/v1/collections/items/records", s.admin,
				map[string]any{"data": map[string]any{"n": first + i, "owner": owner(i)}}, nil); err != nil {
				if errs.Add(1) == 1 {
					logf("write: %v", err)
				}
				return
			}
			writeLat.add(time.Since(t))
		}()
	}
	wg.Wait()
	return writeLat, errs.Load()
}

func fanoutScenario(ctx context.Context, c subsConfig, s *subsServer, row *subsRow) error {
	sentAt := make([]atomic.Int64, c.writes)
	lat := &latencies{}
	var delivered atomic.Int64
	clients, err := openMany(ctx, c.subscribers, func(int) (*wsClient, error) {
		return s.subscribe(ctx, "", `subscription { items_mutated(events: [INSERT]) { seq data { n } } }`, func(p []byte) {
			now := time.Now()
			if n, ok := fieldN(p); ok && n < len(sentAt) {
				lat.add(now.Sub(time.Unix(0, sentAt[n].Load())))
				delivered.Add(1)
			}
		})
	})
	if err != nil {
		return err
	}
	defer closeAll(clients)
	time.Sleep(time.Second)
	wl, failed := s.writer(ctx, c.writes, 0, c.rate, func(int) string { return "" }, func(i int) { sentAt[i].Store(time.Now().UnixNano()) })
	want := int64(c.subscribers) * int64(c.writes-int(failed))
	for deadline := time.Now().Add(10 * time.Second); delivered.Load() < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	row.Figures["delivered"] = fmt.Sprintf("%d/%d", delivered.Load(), want)
	row.Figures["subscription_errors"] = strconv.FormatInt(s.errors.Load(), 10)
	row.Figures["write_failures"] = strconv.FormatInt(failed, 10)
	row.Figures["latency_p50"] = lat.pct(0.5)
	row.Figures["latency_p99"] = lat.pct(0.99)
	row.Figures["write_rtt_p50"] = wl.pct(0.5)
	row.Figures["rate"] = fmt.Sprintf("%.0f/s × %d", c.rate, c.writes)
	return nil
}

// fieldN is the whole number after the first "n": in msg.
func fieldN(msg []byte) (int, bool) {
	i := bytes.Index(msg, []byte(`"n":`))
	if i < 0 {
		return 0, false
	}
	rest := msg[i+4:]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(string(rest[:j]))
	return n, err == nil
}

// dbCounts is the database's committed transactions and the scans of the
// items table, as the statistics collector has them.
func dbCounts(ctx context.Context, db *sql.DB) (xacts, scans int64, err error) {
	err = db.QueryRowContext(ctx, `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()),
		(SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE schemaname = 'data' AND relname = 'items')`).Scan(&xacts, &scans)
	return xacts, scans, err
}

// statsSettle waits for every backend to flush its statistics (idle
// backends flush within 10 s in PostgreSQL 15).
func statsSettle() { time.Sleep(11 * time.Second) }

func liveScenario(ctx context.Context, c subsConfig, s *subsServer, pid int, owner bool, row *subsRow) error {
	const writes = 20
	tokens := []string{""}
	ids := []string{""}
	if owner {
		tokens, ids = make([]string, c.users), make([]string, c.users)
		for u := 0; u < c.users; u++ {
			email := fmt.Sprintf("u%d@subs.bench", u)
			var user struct{ ID string }
			if err := s.call(ctx, "POST", "/api/v1/admin/users", s.admin, map[string]any{"email": email, "password": "passw0rd!"}, &user); err != nil {
				return err
			}
			var login struct {
				Token struct {
					Access string `json:"access_token"`
				} `json:"token"`
			}
			if err := s.call(ctx, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": "passw0rd!"}, &login); err != nil {
				return err
			}
			tokens[u], ids[u] = login.Token.Access, user.ID
		}
	}
	ownerOf := func(i int) string { return ids[i%len(ids)] }
	// Calibration: the same writes without subscribers.
	statsSettle()
	x0, s0, err := dbCounts(ctx, s.db)
	if err != nil {
		return err
	}
	if _, failed := s.writer(ctx, writes, 0, c.liveRate, ownerOf, func(int) {}); failed > 0 {
		return fmt.Errorf("%d calibration writes failed", failed)
	}
	statsSettle()
	x1, s1, err := dbCounts(ctx, s.db)
	if err != nil {
		return err
	}

	base := 1_000_000 // the measured writes' n, above the calibration's
	sentAt := make([]atomic.Int64, writes)
	lat := &latencies{}
	var updates, initial atomic.Int64
	clients, err := openMany(ctx, c.subscribers, func(i int) (*wsClient, error) {
		first := true
		return s.subscribe(ctx, tokens[i%len(tokens)], `subscription { items(order_by: [{created: desc}], limit: 1) { n } }`, func(p []byte) {
			now := time.Now()
			if first {
				first = false
				initial.Add(1)
				return
			}
			if n, ok := fieldN(p); ok && n >= base && n < base+writes {
				lat.add(now.Sub(time.Unix(0, sentAt[n-base].Load())))
				updates.Add(1)
			}
		})
	})
	if err != nil {
		return err
	}
	defer closeAll(clients)
	for deadline := time.Now().Add(30 * time.Second); initial.Load() < int64(c.subscribers) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	statsSettle()
	x2, s2, err := dbCounts(ctx, s.db)
	if err != nil {
		return err
	}
	cpu0 := readProc(pid)
	_, failed := s.writer(ctx, writes, base, c.liveRate, ownerOf, func(i int) { sentAt[i].Store(time.Now().UnixNano()) })
	if failed > 0 {
		return fmt.Errorf("%d writes failed", failed)
	}
	// Each write changes the result of the subscribers its owner has.
	want := int64(writes) * int64(c.subscribers/len(tokens))
	for deadline := time.Now().Add(10 * time.Second); updates.Load() < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	cpu1 := readProc(pid)
	statsSettle()
	x3, s3, err := dbCounts(ctx, s.db)
	if err != nil {
		return err
	}
	calX, calS := x1-x0, s1-s0
	row.Figures["subscribers"] = fmt.Sprintf("%d (%d users)", c.subscribers, len(tokens))
	row.Figures["updates"] = fmt.Sprintf("%d/%d", updates.Load(), want)
	row.Figures["subscription_errors"] = strconv.FormatInt(s.errors.Load(), 10)
	row.Figures["xacts_per_write"] = fmt.Sprintf("%.1f", float64((x3-x2)-calX)/writes)
	row.Figures["item_scans_per_write"] = fmt.Sprintf("%.1f", float64((s3-s2)-calS)/writes)
	row.Figures["update_p50"] = lat.pct(0.5)
	row.Figures["update_p99"] = lat.pct(0.99)
	row.Figures["server_cpu_s"] = fmt.Sprintf("%.2f", (cpu1.cpu - cpu0.cpu).Seconds())
	row.Figures["writes"] = fmt.Sprintf("%d at %.0f/s", writes, c.liveRate)
	return nil
}
