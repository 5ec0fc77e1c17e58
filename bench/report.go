package main

// Running the workloads, the thresholds, and the two result files.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type results struct {
	Profile       profile          `json:"profile"`
	Started       string           `json:"started"`
	GoVersion     string           `json:"go_version"`
	CPUs          int              `json:"cpus"`
	LoadAvgStart  string           `json:"loadavg_1m_start"`
	LoadAvgEnd    string           `json:"loadavg_1m_end"`
	Imports       []transferResult `json:"csv_imports"`
	Exports       []transferResult `json:"csv_exports"`
	Runs          []runResult      `json:"runs"`
	OpenLoop      []runResult      `json:"open_loop"`
	Subscriptions string           `json:"subscriptions"`
	Subs          *subResult       `json:"subscription_run,omitempty"`
	Peers         *peerResults     `json:"peers,omitempty"`
	NotDone       []string         `json:"not_done"`
	TotalSeconds  float64          `json:"total_seconds"`
	PeakRSSMB     float64          `json:"peak_rss_mb"`
	Failures      []string         `json:"threshold_failures"`
}

type runResult struct {
	Workload    string   `json:"workload"`
	API         string   `json:"api"`
	Note        string   `json:"note,omitempty"`
	Concurrency int      `json:"concurrency"`
	Service     runStats `json:"service"`
	Twin        runStats `json:"sql_twin"`
	Ratio       float64  `json:"throughput_ratio_vs_twin"`
	TwinSQL     []string `json:"twin_sql"` // the steps captured for variant 0
}

func (b *bench) runWorkloads(ctx context.Context) error {
	ws, err := b.workloads(ctx)
	if err != nil {
		return err
	}
	var getByID *runResult
	for _, w := range ws {
		if b.only != "" && !strings.Contains(w.Name, b.only) {
			continue
		}
		// Warm up (bounded in count and time), then capture the statements
		// of each variant run alone; variants not captured within a second
		// (slow workloads) are dropped from the service run too, so service
		// and twin do the same work.
		warmEnd := time.Now().Add(b.p.RunTime / 2)
		for i := 0; i < b.p.Warmup && time.Now().Before(warmEnd); i++ {
			if _, err := b.do(ctx, w.Reqs[i%len(w.Reqs)]); err != nil {
				return fmt.Errorf("%s %s warm-up: %w", w.Name, w.API, err)
			}
		}
		var captured [][]sqlStep
		capEnd := time.Now().Add(time.Second)
		for i, r := range w.Reqs {
			if i >= 5 && time.Now().After(capEnd) {
				break
			}
			b.serverRec.start()
			body, err := b.do(ctx, r)
			steps := requestSteps(b.serverRec.stop())
			markFresh(steps, r.Body, body)
			captured = append(captured, steps)
			if err != nil {
				return fmt.Errorf("%s %s: %w", w.Name, w.API, err)
			}
		}
		w.Reqs = w.Reqs[:len(captured)]
		sqlText := describe(captured[0], 4000)
		if b.showSQL {
			fmt.Fprintf(os.Stderr, "--- %s %s\n%s\n", w.Name, w.API, strings.Join(describe(captured[0], 400), "\n"))
		}
		service := func(ctx context.Context, i int) error {
			_, err := b.do(ctx, w.Reqs[i%len(w.Reqs)])
			return err
		}
		twin := func(ctx context.Context, i int) error { return b.replay(ctx, captured[i%len(captured)]) }
		for _, c := range b.p.Concurrencies {
			rr := runResult{Workload: w.Name, API: w.API, Note: w.Note, Concurrency: c, TwinSQL: sqlText}
			rr.Service = closedLoop(c, b.p.MaxRequests, b.p.RunTime, b.serverRec, service)
			rr.Twin = closedLoop(c, b.p.MaxRequests, b.p.RunTime, b.twinRec, twin)
			if rr.Twin.RPS > 0 {
				rr.Ratio = rr.Service.RPS / rr.Twin.RPS
			}
			logf("%-17s %-7s c=%-2d %7.0f req/s p50 %6.2f p99 %6.2f ms  %4.1f SQL/req  err %d | twin %7.0f req/s p50 %6.2f ms | ×%.2f",
				w.Name, w.API, c, rr.Service.RPS, rr.Service.P50ms, rr.Service.P99ms, rr.Service.StmtsPerReq, rr.Service.Errors,
				rr.Twin.RPS, rr.Twin.P50ms, rr.Ratio)
			if rr.Service.FirstError != "" {
				logf("  first error: %s", rr.Service.FirstError)
			}
			if rr.Twin.FirstError != "" {
				logf("  first twin error: %s", rr.Twin.FirstError)
			}
			b.res.Runs = append(b.res.Runs, rr)
			if w.Name == "get-by-id" && w.API == "REST" && (getByID == nil || c <= 8) {
				getByID = &runResult{Workload: w.Name, API: w.API, Concurrency: c, Service: rr.Service}
				getByIDOps[0], getByIDOps[1] = service, twin
			}
		}
	}
	// Open loop: REST get by id at 0.3× the closed-loop rate measured at
	// concurrency ≤ 8, service and twin alike.
	if getByID != nil && getByID.Service.RPS > 0 {
		rate := getByID.Service.RPS * 0.3
		if b.openRate > 0 {
			rate = b.openRate
		}
		for k, who := range []string{"service", "twin"} {
			rec := b.serverRec
			if k == 1 {
				rec = b.twinRec
			}
			s := openLoop(rate, b.p.OpenLoopTime, 512, rec, getByIDOps[k])
			b.res.OpenLoop = append(b.res.OpenLoop, runResult{Workload: "get-by-id (open loop, " + who + ")", API: "REST", Service: s})
			logf("open loop %s at %.0f req/s: p50 %.2f p90 %.2f p99 %.2f ms, errors %d, dropped %d", who, rate, s.P50ms, s.P90ms, s.P99ms, s.Errors, s.Dropped)
		}
	}
	return nil
}

var getByIDOps [2]op

// describe renders captured steps, statements shortened to one line.
func describe(steps []sqlStep, max int) []string {
	var out []string
	for _, s := range steps {
		switch s.Kind {
		case kindQuery, kindExec:
			q := strings.Join(strings.Fields(s.Query), " ")
			if len(q) > max {
				q = q[:max] + "…"
			}
			out = append(out, fmt.Sprintf("%s [%d args]", q, len(s.Args)))
		default:
			out = append(out, strings.ToUpper(string(s.Kind)))
		}
	}
	return out
}

func (b *bench) subscriptionsNote(ctx context.Context) string {
	body, err := b.do(ctx, gql(`{ __type(name: "Subscription") { fields { name } } }`, nil, true))
	if err != nil {
		return "could not introspect: " + err.Error()
	}
	if bytes.Contains(body, []byte(`"posts_mutated"`)) {
		if b.only != "" && !strings.Contains("subscriptions", b.only) {
			return "skipped (--only)"
		}
		// The workload: 1k subscribers, 100 writes/s for 10 s.
		subs, writes, rate := 1000, 1000, 100.0
		if b.p.Name == "quick" {
			subs, writes, rate = 10, 100, 50
		}
		r, err := b.subscriptions(ctx, subs, writes, rate)
		if err != nil {
			b.res.NotDone = append(b.res.NotDone, "subscriptions: the run failed: "+err.Error())
			return "the run failed: " + err.Error()
		}
		b.res.Subs = r
		return fmt.Sprintf("%d posts_mutated subscribers over graphql-transport-ws while %d posts are created over REST at %.0f/s", subs, writes, r.WriteRate)
	}
	b.res.NotDone = append(b.res.NotDone, "subscriptions: the schema has no X_mutated field yet, so there is no subscription workload")
	return "not measured: no posts_mutated in the schema"
}

// check applies the coarse thresholds: errors above 1 %, or a service
// below 0.05× its twin's throughput.
func (b *bench) check() []string {
	var out []string
	if x := b.res.Subs; x != nil && x.Stats.ErrorPercent > 1 {
		out = append(out, fmt.Sprintf("subscriptions: %d of %d events missing or failed", x.Stats.Errors, x.Expected))
	}
	for _, r := range append(append([]runResult{}, b.res.Runs...), b.res.OpenLoop...) {
		name := fmt.Sprintf("%s %s c=%d", r.Workload, r.API, r.Concurrency)
		if r.Service.Requests == 0 {
			out = append(out, name+": no requests completed")
			continue
		}
		if r.Service.ErrorPercent > 1 {
			out = append(out, fmt.Sprintf("%s: %.1f %% errors (%s)", name, r.Service.ErrorPercent, r.Service.FirstError))
		}
		if r.Twin.Requests > 0 && r.Twin.ErrorPercent > 1 {
			out = append(out, fmt.Sprintf("%s twin: %.1f %% errors (%s)", name, r.Twin.ErrorPercent, r.Twin.FirstError))
		}
		if r.Twin.RPS > 0 && r.Ratio < 0.05 {
			out = append(out, fmt.Sprintf("%s: %.3f× its SQL twin (threshold 0.05×)", name, r.Ratio))
		}
	}
	return out
}

func (b *bench) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(b.res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), js, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "summary.md"), []byte(b.summary()), 0o644)
}

func (b *bench) summary() string {
	r := b.res
	var s strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&s, format, a...) }
	p := r.Profile
	w("### Profile `%s` — %s, %s, %d CPUs, %.0f s in all, peak RSS %.0f MB, 1-min load average %s at the start, %s at the end\n\n",
		p.Name, r.Started[:10], r.GoVersion, r.CPUs, r.TotalSeconds, r.PeakRSSMB, r.LoadAvgStart, r.LoadAvgEnd)
	w("Dataset (seed %d): %d authors, %d posts, %d comments. Closed-loop runs of %s or %d requests each.\n\n",
		p.Seed, p.Authors, p.Posts, p.Posts*p.CommentsPerPost, p.RunTime, p.MaxRequests)
	for _, c := range p.Concurrencies {
		w("#### Concurrency %d\n\n", c)
		w("| workload | API | req/s | p50 ms | p90 ms | p99 ms | errors | CPU s/1k req | SQL/req | twin req/s | twin p50 ms | twin SQL/req | × twin |\n")
		w("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, x := range r.Runs {
			if x.Concurrency != c {
				continue
			}
			sv, tw := x.Service, x.Twin
			w("| %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %.2f | %.1f | %.0f | %.2f | %.1f | %.2f |\n",
				x.Workload, x.API, sv.RPS, sv.P50ms, sv.P90ms, sv.P99ms, sv.Errors, sv.CPUsPer1k, sv.StmtsPerReq, tw.RPS, tw.P50ms, tw.StmtsPerReq, x.Ratio)
		}
		w("\n")
	}
	if len(r.OpenLoop) > 0 {
		w("#### Open loop (fixed rate, latency from the scheduled send time)\n\n| run | target req/s | done | p50 ms | p90 ms | p99 ms | errors | dropped (no free slot of 512) |\n|---|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, x := range r.OpenLoop {
			w("| %s | %.0f | %d | %.2f | %.2f | %.2f | %d | %d |\n", x.Workload, x.Service.TargetRPS, x.Service.Requests, x.Service.P50ms, x.Service.P90ms, x.Service.P99ms, x.Service.Errors, x.Service.Dropped)
		}
		w("\n")
	}
	w("#### CSV\n\n| | collection | rows | MB | s | rows/s | SQL stmts | twin rows/s | × twin |\n|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, x := range r.Imports {
		w("| import | %s | %d | %.1f | %.2f | %.0f | %d | %.0f | %.2f |\n", x.Collection, x.Rows, float64(x.Bytes)/1e6, x.Seconds, x.RowsPerSec, x.Stmts, x.TwinRowsPerSec, x.Ratio)
	}
	for _, x := range r.Exports {
		w("| export | %s | %d | %.1f | %.2f | %.0f | %d | %.0f | %.2f |\n", x.Collection, x.Rows, float64(x.Bytes)/1e6, x.Seconds, x.RowsPerSec, x.Stmts, x.TwinRowsPerSec, x.Ratio)
	}
	w("\n#### Targets (reported, not asserted)\n\n")
	for _, x := range r.Runs {
		switch {
		case x.Workload == "get-by-id" && x.API == "REST":
			w("- get-by-id REST c=%d: %.2f× twin (target ≥ 0.4×) %s\n", x.Concurrency, x.Ratio, mark(x.Ratio >= 0.4))
		case x.Workload == "list-20-sorted" && x.API == "REST":
			w("- list-20 REST c=%d: %.2f× twin (target ≥ 0.3×) %s\n", x.Concurrency, x.Ratio, mark(x.Ratio >= 0.3))
		case x.Workload == "nested" && x.Concurrency == p.Concurrencies[0]:
			// The twin replays exactly the request's statements; the
			// service's count also holds the server's background reads.
			w("- nested query: %.2f SQL statements per request (target 1) %s\n", x.Twin.StmtsPerReq, mark(x.Twin.StmtsPerReq <= 1.0001))
		}
	}
	w("\n#### Subscriptions\n\n%s.\n", r.Subscriptions)
	if x := r.Subs; x != nil {
		w("\n| subscribers | creates | events delivered | events/s | p50 ms | p90 ms | p99 ms | missing |\n|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		w("| %d | %d | %d / %d | %.0f | %.2f | %.2f | %.2f | %d |\n\nLatency: from sending the create to a subscriber reading its event.\n",
			x.Subscribers, x.Writes, x.Delivered, x.Expected, x.Stats.RPS, x.Stats.P50ms, x.Stats.P90ms, x.Stats.P99ms, x.Stats.Errors)
	}
	if r.Peers != nil {
		w("\n%s", r.Peers.summary())
	}
	if len(r.NotDone) > 0 {
		w("\n#### Not measured\n\n")
		for _, x := range r.NotDone {
			w("- %s\n", x)
		}
	}
	if len(r.Failures) > 0 {
		w("\nThresholds missed:\n\n")
		for _, f := range r.Failures {
			w("- %s\n", f)
		}
	} else {
		w("\nThresholds (errors ≤ 1 %%, ≥ 0.05× twin): all met.\n")
	}
	return s.String()
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// requestSteps keeps the steps of a captured request, leaving out what the
// server did meanwhile on its own: the broker's reads and every
// transaction of a background worker (webhook dispatch and delivery). A
// request's transactions end before its answer, so a transaction still
// open when the capture ends, or one whose BEGIN came before it, is a
// worker's; so is one that touches a background table.
func requestSteps(captured []sqlStep) []sqlStep {
	drop := make([]bool, len(captured))
	begun := map[int64]int{} // conn → index of its open BEGIN
	for i, s := range captured {
		switch {
		case s.Kind == kindBegin:
			begun[s.Conn] = i
		case s.Kind == kindCommit || s.Kind == kindRollback:
			start, ok := begun[s.Conn]
			if !ok {
				drop[i] = true // began before the capture
				continue
			}
			delete(begun, s.Conn)
			background := false
			for j := start; j <= i; j++ {
				background = background || (captured[j].Conn == s.Conn && captured[j].background())
			}
			if background {
				for j := start; j <= i; j++ {
					if captured[j].Conn == s.Conn {
						drop[j] = true
					}
				}
			}
		case s.background():
			drop[i] = true
		}
	}
	for conn, start := range begun { // still open: a worker's
		for j := start; j < len(captured); j++ {
			if captured[j].Conn == conn {
				drop[j] = true
			}
		}
	}
	var steps []sqlStep
	for i, s := range captured {
		if !drop[i] {
			steps = append(steps, s)
		}
	}
	return steps
}
