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
