package main

// The peers (--peers): PostGraphile 4 and PocketBase run as processes of
// their own beside our server, with the same rows, and pgbench runs the
// plain SQL of each workload as the floor. Each workload runs on every
// contender in turn, round after round, so that the machine's load falls
// on all of them alike; the table reports the median round.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The contenders of the peer table, in the order they run and are shown.
const (
	cFloor        = "floor (pgbench)"
	cPostGraphile = "PostGraphile"
	cPocketBase   = "PocketBase"
	cOursREST     = "ours REST"
	cOursGraphQL  = "ours GraphQL"
)

var contenders = []string{cFloor, cPostGraphile, cPocketBase, cOursREST, cOursGraphQL}

type peerResults struct {
	Versions map[string]string `json:"versions"`
	Skipped  []string          `json:"skipped"`
	Rounds   int               `json:"rounds"`
	Conc     []int             `json:"concurrencies"`
	Notes    []string          `json:"notes"`
	Runs     []peerRun         `json:"runs"`
}

// peerRun is one workload on one contender at one concurrency: every
// round, and the round of median throughput.
type peerRun struct {
	Workload    string      `json:"workload"`
	Contender   string      `json:"contender"`
	Concurrency int         `json:"concurrency"`
	Note        string      `json:"note,omitempty"`
	Rounds      []runStats  `json:"rounds"`
	CPU         []cpuPerReq `json:"cpu_per_round"`
	Median      runStats    `json:"median"`
	MedianCPU   cpuPerReq   `json:"median_cpu"`
}

// peerWorkload is one row of the peer table: an op per contender that has
// one (the others show "—").
type peerWorkload struct {
	Name  string
	Note  string
	Ops   map[string]op
	Floor []string // pgbench's -f arguments; nil = no floor
	Notes map[string]string
}

// peers holds the running peer processes.
type peers struct {
	dir   string
	dsn   string
	procs []*proc
	pg    *postgraphile
	pb    *pocketBase
	floor *floor
}

// installPeer runs bench/peers/install.sh for one peer and returns the
// executable's path (the script's last line of output).
func installPeer(ctx context.Context, name string) (string, error) {
	script := "bench/peers/install.sh"
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("%s not found: run the benchmark from the repository root", script)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script, name)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", script, name, err, lastLines(stderr.String(), 5))
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		return "", fmt.Errorf("%s %s printed no path", script, name)
	}
	return lines[len(lines)-1], nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// proc is a running peer process; done closes when it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs a peer process in its own process group, its output in a
// log file under the peers' directory.
func (p *peers) start(name, bin string, args []string, env []string) (*proc, error) {
	logFile, err := os.Create(p.dir + "/" + name + ".log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	// Its own process group (stop ends what it may have started), and
	// killed with the benchmark should that end without stop (a signal).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	pr := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait() //nolint:errcheck // a peer ended by stop exits with a signal
		logFile.Close()
		close(pr.done)
	}()
	p.procs = append(p.procs, pr)
	return pr, nil
}

// waitHTTP polls url until it answers below 500, or the process exits.
func waitHTTP(ctx context.Context, url string, pr *proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-pr.done:
			return errors.New("the process exited")
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer within %s", url, timeout)
}

// stop ends the peer processes (each by its own process group) and removes
// their directory; a second call does nothing.
func (p *peers) stop() {
	defer func() { p.procs = nil }()
	for _, pr := range p.procs {
		syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGTERM) //nolint:errcheck // already gone is fine
		select {
		case <-pr.done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL) //nolint:errcheck
			<-pr.done
		}
	}
	os.RemoveAll(p.dir)
}

// startPeers installs and starts what it can; a peer that cannot be had is
// recorded as skipped, with the reason, and printed. What can fail the
// whole run happens before the first process starts; the caller stops them.
func (b *bench) startPeers(ctx context.Context, dsn string) (*peers, error) {
	var syncCommit, fsync string
	if err := b.raw.QueryRowContext(ctx, `SELECT current_setting('synchronous_commit'), current_setting('fsync')`).Scan(&syncCommit, &fsync); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "fastcms-bench-peers-")
	if err != nil {
		return nil, err
	}
	p := &peers{dir: dir, dsn: dsn}
	pr := &peerResults{Versions: map[string]string{}}
	b.res.Peers = pr
	skip := func(name string, err error) {
		msg := fmt.Sprintf("%s: skipped: %v", name, err)
		logf("peers: %s", msg)
		pr.Skipped = append(pr.Skipped, msg)
	}
	if bin, err := installPeer(ctx, "pgbench"); err != nil {
		skip(cFloor, err)
	} else if f, err := b.newFloor(ctx, bin, dsn, dir); err != nil {
		skip(cFloor, err)
	} else {
		p.floor = f
		pr.Versions[cFloor] = f.version
	}
	if bin, err := installPeer(ctx, "postgraphile"); err != nil {
		skip(cPostGraphile, err)
	} else if g, err := b.startPostGraphile(ctx, p, bin, dsn); err != nil {
		skip(cPostGraphile, err)
	} else {
		p.pg = g
		pr.Versions[cPostGraphile] = g.version
	}
	if bin, err := installPeer(ctx, "pocketbase"); err != nil {
		skip(cPocketBase, err)
	} else if pb, err := b.startPocketBase(ctx, p, bin); err != nil {
		skip(cPocketBase, err)
	} else {
		p.pb = pb
		pr.Versions[cPocketBase] = pocketBaseVersion
	}
	pbDurability := "PocketBase runs with its defaults: SQLite in WAL mode with synchronous=NORMAL, so a commit is not fsynced " +
		"(it survives a crash of the process, not of the machine)."
	if b.pbSync != "" {
		pbDurability = "PocketBase runs SQLite in WAL mode with synchronous=" + b.pbSync + " (--pocketbase-synchronous; FULL fsyncs every commit)."
	}
	pr.Notes = append(pr.Notes,
		fmt.Sprintf("Durability: ours, PostGraphile and the floor commit to the same PostgreSQL (synchronous_commit=%s, fsync=%s). ", syncCommit, fsync)+pbDurability,
		"Pools: ours 32 connections, PostGraphile 10 (its default), pgbench one per client; PocketBase is SQLite in-process.",
		"Auth: ours and PocketBase check a token on creates (admin, superuser); PostGraphile runs as the database owner without one. "+
			"Reads are anonymous everywhere (public list and view rules).",
		"The floor is pgbench -M prepared on the plain SQL (SELECT by id; ORDER BY created DESC, id DESC LIMIT 20 OFFSET; INSERT … RETURNING) "+
			"for whole seconds (-T rounds the run time up); its creates, like PostGraphile's, write our table but no event.",
		"CPU: utime+stime from /proc of the peer's process and of the PostgreSQL backends connected to the benchmark database "+
			"(sampled every 100 ms, so a backend that ends between samples loses up to 100 ms; pgbench's own CPU is not counted). "+
			"Our server runs inside the benchmark process, so its share (≈) is the process's CPU less the load generator's, "+
			"taken as the process's CPU per request while it loads PocketBase (or PostGraphile) with the same workload.",
		"PostGraphile and the floor read and write our benchmark database's own table data.posts; PocketBase holds the same authors and posts, loaded through its batch API. "+
			"PocketBase's created values are those of its load (mostly distinct milliseconds); ours are those of the CSV import, which gives the rows of one import the same created.",
		"PostGraphile appends its primary key ascending to an order that is not unique (graphile-build-pg PgAllRows), so allPosts(orderBy: CREATED_DESC) "+
			"is ORDER BY created DESC, id ASC, which the (created, id) index cannot walk when many rows share a created value (as rows of one CSV import do).")
	return p, nil
}

// peerWorkloads are the rows of the peer table, built from the same
// variants as ours: the same posts by id, the same five pages.
func (b *bench) peerWorkloads(p *peers) []peerWorkload {
	const n = 100
	P := "/api/v1/collections/posts/records"
	cycle := func(reqs []request) op {
		return func(ctx context.Context, i int) error {
			_, err := b.do(ctx, reqs[i%len(reqs)])
			return err
		}
	}
	mk := func(f func(i int) request) []request {
		out := make([]request, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	id := func(i int) string { return b.postsPub[i%len(b.postsPub)] }
	newPost := func(i int) map[string]any {
		return map[string]any{"title": fmt.Sprintf("peer post %d topic%03d", i, i), "body": strings.Repeat("new body ", 30),
			"author": b.authors[i%len(b.authors)], "published": i%2 == 0, "views": i, "tags": []string{"go", "new"}}
	}

	get := peerWorkload{Name: "get-by-id", Ops: map[string]op{
		cOursREST: cycle(mk(func(i int) request { return restJSON("GET", P+"/"+id(i), nil, false) })),
		cOursGraphQL: cycle(mk(func(i int) request {
			return gql(`query($id: ID!) { posts_by_pk(id: $id) { `+postFields+` } }`, map[string]any{"id": id(i)}, false)
		})),
	}}
	newest := peerWorkload{Name: "list-20-newest", Note: "sort by created, newest first, pages 1–5, each service's default totals",
		Ops: map[string]op{
			cOursREST: cycle(mk(func(i int) request {
				return restJSON("GET", fmt.Sprintf("%s?sort=-created&per_page=20&page=%d", P, 1+i%5), nil, false)
			})),
			cOursGraphQL: cycle(mk(func(i int) request {
				return gql(`query($o: Int) { posts(order_by: {created: desc}, limit: 20, offset: $o) { `+postFields+` } }`,
					map[string]any{"o": 20 * (i % 5)}, false)
			})),
		}, Notes: map[string]string{
			cOursREST:     "counts the total (default)",
			cPocketBase:   "counts the total (default)",
			cPostGraphile: "no totalCount asked",
			cOursGraphQL:  "no total",
		}}
	newestNoTotal := peerWorkload{Name: "list-20-newest-skip-total", Note: "the same pages without the total: REST skipTotal=true, PocketBase skipTotal=1",
		Ops: map[string]op{
			cOursREST: cycle(mk(func(i int) request {
				return restJSON("GET", fmt.Sprintf("%s?sort=-created&per_page=20&page=%d&skipTotal=true", P, 1+i%5), nil, false)
			})),
		}}
	create := peerWorkload{Name: "create", Note: "one post; ours with the admin's token, PocketBase with a superuser's, PostGraphile as the database owner",
		Ops: map[string]op{
			cOursREST: cycle(mk(func(i int) request { return restJSON("POST", P, map[string]any{"data": newPost(i)}, true) })),
			cOursGraphQL: cycle(mk(func(i int) request {
				return gql(`mutation($o: posts_insert_input!) { insert_posts_one(object: $o) { id created } }`, map[string]any{"o": newPost(i)}, true)
			})),
		}}
	if f := p.floor; f != nil {
		get.Floor, newest.Floor, create.Floor = f.getByID, f.newest, f.create
	}
	if g := p.pg; g != nil {
		get.Ops[cPostGraphile] = cycle(mk(g.getByID))
		newest.Ops[cPostGraphile] = cycle(mk(g.newest))
		create.Ops[cPostGraphile] = cycle(mk(g.create))
	}
	if pb := p.pb; pb != nil {
		get.Ops[cPocketBase] = cycle(mk(pb.getByID))
		newest.Ops[cPocketBase] = cycle(mk(func(i int) request { return pb.newest(i, false) }))
		newestNoTotal.Ops[cPocketBase] = cycle(mk(func(i int) request { return pb.newest(i, true) }))
		create.Ops[cPocketBase] = cycle(mk(pb.create))
	}
	return []peerWorkload{get, newest, newestNoTotal, create}
}

// runPeers runs each peer workload on every contender, interleaved.
func (b *bench) runPeers(ctx context.Context, p *peers, rounds int, concs []int) error {
	pr := b.res.Peers
	pr.Rounds, pr.Conc = rounds, concs
	// One connection of its own lists the backends for the CPU samples.
	cpuDB, err := sql.Open("postgres", p.dsn)
	if err != nil {
		return err
	}
	defer cpuDB.Close()
	cpuDB.SetMaxOpenConns(1)
	serverPID := map[string]int{}
	if p.pg != nil {
		serverPID[cPostGraphile] = p.pg.pid
	}
	if p.pb != nil {
		serverPID[cPocketBase] = p.pb.pid
	}
	// The twins' pool is idle from here on: its connections go back to a
	// server shared with pgbench's clients (max_connections).
	b.twin.SetMaxIdleConns(0)
	for _, w := range b.peerWorkloads(p) {
		if b.only != "" && !strings.Contains(w.Name, b.only) {
			continue
		}
		// A first request proves each contender works (a peer that fails it
		// is skipped for this workload); then a warm-up of half a run at the
		// highest concurrency (PostGraphile's JIT needs it).
		for _, c := range contenders {
			if fn := w.Ops[c]; fn != nil {
				err := fn(ctx, 0)
				if err != nil && (c == cOursREST || c == cOursGraphQL) {
					return fmt.Errorf("peers: %s on %s: %w", w.Name, c, err)
				}
				if err != nil {
					msg := fmt.Sprintf("%s: skipped for %s: %v", c, w.Name, err)
					logf("peers: %s", msg)
					pr.Skipped = append(pr.Skipped, msg)
					delete(w.Ops, c)
					continue
				}
				closedLoop(slices.Max(concs), b.p.MaxRequests, b.p.RunTime/2, &recorder{}, fn)
			}
		}
		for _, conc := range concs {
			runs := map[string]*peerRun{}
			for r := 0; r < rounds; r++ {
				for _, c := range contenders {
					fn := w.Ops[c]
					if fn == nil && (c != cFloor || w.Floor == nil) {
						continue
					}
					var s runStats
					watch := watchCPU(ctx, cpuDB, serverPID[c])
					switch {
					case c == cFloor && w.Floor != nil:
						s = p.floor.run(ctx, w.Floor, conc, b.p.RunTime)
					default:
						counter := &recorder{}
						if c == cOursREST || c == cOursGraphQL {
							counter = b.serverRec
						}
						s = closedLoop(conc, b.p.MaxRequests, b.p.RunTime, counter, fn)
					}
					if runs[c] == nil {
						runs[c] = &peerRun{Workload: w.Name, Contender: c, Concurrency: conc, Note: w.Notes[c]}
					}
					srv, pgc, self := watch.end(ctx)
					runs[c].Rounds = append(runs[c].Rounds, s)
					runs[c].CPU = append(runs[c].CPU, perReq(srv, pgc, self, s.Requests))
					logf("peers %-25s %-16s c=%-2d round %d: %7.0f req/s p50 %6.2f p99 %6.2f ms err %d %s",
						w.Name, c, conc, r+1, s.RPS, s.P50ms, s.P99ms, s.Errors, s.FirstError)
				}
			}
			for _, c := range contenders {
				if x := runs[c]; x != nil {
					k := medianRun(x.Rounds)
					x.Median, x.MedianCPU = x.Rounds[k], x.CPU[k]
					pr.Runs = append(pr.Runs, *x)
				}
			}
		}
	}
	return nil
}

// parseConcurrencies reads a comma-separated list of concurrencies; ""
// is the profile's.
func parseConcurrencies(s string, def []int) ([]int, error) {
	if s == "" {
		return def, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--peer-concurrency: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// medianRun is the index of the round of median throughput.
func medianRun(rs []runStats) int {
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case rs[a].RPS < rs[b].RPS:
			return -1
		case rs[a].RPS > rs[b].RPS:
			return 1
		}
		return 0
	})
	return idx[len(idx)/2]
}
