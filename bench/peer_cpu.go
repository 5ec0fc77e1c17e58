package main

// CPU of a peer run, from /proc (Linux, PostgreSQL on this machine): the
// server process's, and that of the PostgreSQL backends connected to the
// benchmark database. Backends come and go (pgbench opens its own), so
// they are sampled every 100 ms during the run and each counts from its
// first sample (0 if it appeared during the run) to its last.

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat on Linux.
const userHZ = 100

// procCPU is the user+system CPU seconds of a process so far.
func procCPU(pid int) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (u + st) / userHZ, true
}

// cpuWatch samples one server process and the database's backends.
type cpuWatch struct {
	db     *sql.DB
	server int // 0: none (ours runs in this process)
	stop   chan struct{}
	done   chan struct{}

	mu    sync.Mutex
	first map[int]float64
	last  map[int]float64
	serv0 float64
	self0 float64
}

func watchCPU(ctx context.Context, db *sql.DB, server int) *cpuWatch {
	w := &cpuWatch{db: db, server: server, stop: make(chan struct{}), done: make(chan struct{}),
		first: map[int]float64{}, last: map[int]float64{}}
	w.self0, _ = cpuSeconds()
	if server != 0 {
		w.serv0, _ = procCPU(server)
	}
	w.sample(ctx, true)
	go func() {
		defer close(w.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.sample(ctx, false)
			}
		}
	}()
	return w
}

func (w *cpuWatch) sample(ctx context.Context, initial bool) {
	rows, err := w.db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return
	}
	var pids []int
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			pids = append(pids, pid)
		}
	}
	rows.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, pid := range pids {
		c, ok := procCPU(pid)
		if !ok {
			continue
		}
		if _, seen := w.first[pid]; !seen {
			w.first[pid] = 0
			if initial {
				w.first[pid] = c
			}
		}
		w.last[pid] = c
	}
}

// end stops sampling and returns the CPU seconds of the server process
// (or of this whole process when the server is ours), of the backends,
// and of this process.
func (w *cpuWatch) end(ctx context.Context) (server, postgres, self float64) {
	close(w.stop)
	<-w.done
	w.sample(ctx, false)
	self, _ = cpuSeconds()
	self -= w.self0
	if w.server != 0 {
		n, _ := procCPU(w.server)
		server = n - w.serv0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for pid, l := range w.last {
		postgres += l - w.first[pid]
	}
	return server, postgres, self
}

// cpuPerReq is one run's CPU in milliseconds per request.
type cpuPerReq struct {
	Server   float64 `json:"server_ms"`   // the peer's process; 0 for ours and the floor
	Postgres float64 `json:"postgres_ms"` // the benchmark database's backends
	Self     float64 `json:"bench_ms"`    // this process: the load generator, and our server for ours
}

func perReq(server, postgres, self float64, n int) cpuPerReq {
	if n == 0 {
		return cpuPerReq{}
	}
	k := 1000 / float64(n)
	return cpuPerReq{Server: server * k, Postgres: postgres * k, Self: self * k}
}
