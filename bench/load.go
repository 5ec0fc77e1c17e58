package main

// Load generation: closed loops of N workers, bounded in count and time,
// and one open-loop run at a fixed rate. Client and server share this
// process, so the CPU figures are of both (see README, Performance).

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// op is one request (or one twin replay); i picks the variant.
type op func(ctx context.Context, i int) error

// runStats is what one run measured.
type runStats struct {
	Requests     int     `json:"requests"`
	Errors       int     `json:"errors"`
	Seconds      float64 `json:"seconds"`
	RPS          float64 `json:"rps"`
	P50ms        float64 `json:"p50_ms"`
	P90ms        float64 `json:"p90_ms"`
	P99ms        float64 `json:"p99_ms"`
	CPUsPer1k    float64 `json:"cpu_s_per_1k"`
	StmtsPerReq  float64 `json:"sql_stmts_per_req"`
	TxsPerReq    float64 `json:"sql_txs_per_req"`
	MaxRSSMB     float64 `json:"max_rss_mb"`
	FirstError   string  `json:"first_error,omitempty"`
	TargetRPS    float64 `json:"target_rps,omitempty"`
	Dropped      int     `json:"dropped,omitempty"`
	ErrorPercent float64 `json:"error_percent"`
}

func cpuSeconds() (float64, float64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return cpu, float64(ru.Maxrss) / 1024 // Linux reports KiB
}

type measure struct {
	start   time.Time
	cpu     float64
	stmts   int64
	txs     int64
	counter *recorder
}

func begin(counter *recorder) measure {
	cpu, _ := cpuSeconds()
	return measure{start: time.Now(), cpu: cpu, stmts: counter.stmts.Load(), txs: counter.txs.Load(), counter: counter}
}

func (m measure) end(lat []time.Duration, errs int, firstErr string) runStats {
	elapsed := time.Since(m.start).Seconds()
	cpu, rss := cpuSeconds()
	n := len(lat)
	s := runStats{Requests: n, Errors: errs, Seconds: elapsed, MaxRSSMB: rss, FirstError: firstErr}
	if n == 0 {
		return s
	}
	s.RPS = float64(n) / elapsed
	s.CPUsPer1k = (cpu - m.cpu) / float64(n) * 1000
	s.StmtsPerReq = float64(m.counter.stmts.Load()-m.stmts) / float64(n)
	s.TxsPerReq = float64(m.counter.txs.Load()-m.txs) / float64(n)
	s.ErrorPercent = 100 * float64(errs) / float64(n)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		k := int(p * float64(n-1))
		return float64(lat[k].Microseconds()) / 1000
	}
	s.P50ms, s.P90ms, s.P99ms = pct(0.50), pct(0.90), pct(0.99)
	return s
}

// closedLoop runs fn on conc workers until maxReq requests or dur passed.
// counter is the recorder whose statements the run causes.
func closedLoop(conc, maxReq int, dur time.Duration, counter *recorder, fn op) runStats {
	ctx := context.Background()
	var next atomic.Int64
	var errs atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(dur)
	lats := make([][]time.Duration, conc)
	var wg sync.WaitGroup
	m := begin(counter)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, maxReq/conc+1)
			for {
				i := int(next.Add(1)) - 1
				if i >= maxReq || (i%16 == 0 && time.Now().After(deadline)) {
					break
				}
				t := time.Now()
				err := fn(ctx, i)
				lat = append(lat, time.Since(t))
				if err != nil {
					if errs.Add(1) == 1 {
						firstErr.Store(err.Error())
					}
				}
				if time.Now().After(deadline) {
					break
				}
			}
			lats[w] = lat
		}(w)
	}
	wg.Wait()
	all := slices.Concat(lats...)
	fe, _ := firstErr.Load().(string)
	return m.end(all, int(errs.Load()), fe)
}

// openLoop sends requests at a fixed rate for dur, each timed from when it
// was due (so a stall counts against every request it delays), with at most
// maxInFlight outstanding; a request that finds no slot counts as dropped.
func openLoop(rate float64, dur time.Duration, maxInFlight int, counter *recorder, fn op) runStats {
	ctx := context.Background()
	interval := time.Duration(float64(time.Second) / rate)
	total := int(dur.Seconds() * rate)
	sem := make(chan struct{}, maxInFlight)
	var mu sync.Mutex
	lat := make([]time.Duration, 0, total)
	var errs, dropped atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	m := begin(counter)
	start := m.start
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		select {
		case sem <- struct{}{}:
		default:
			dropped.Add(1)
			continue
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			err := fn(ctx, i)
			d := time.Since(due)
			<-sem
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
			if err != nil && errs.Add(1) == 1 {
				firstErr.Store(err.Error())
			}
		}(i, due)
	}
	wg.Wait()
	fe, _ := firstErr.Load().(string)
	s := m.end(lat, int(errs.Load()), fe)
	s.TargetRPS = rate
	s.Dropped = int(dropped.Load())
	return s
}
