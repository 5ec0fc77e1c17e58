package main

// The peer tables of summary.md.

import (
	"fmt"
	"slices"
	"strings"
)

func (pr *peerResults) summary() string {
	var s strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&s, format, a...) }
	w("#### Peers (median of %d interleaved rounds)\n\n", pr.Rounds)
	header := make([]string, len(contenders))
	for i, c := range contenders {
		header[i] = c
		if v := pr.Versions[c]; v != "" {
			header[i] += " " + v
		}
	}
	find := func(wl, c string, conc int) *peerRun {
		for i := range pr.Runs {
			if x := &pr.Runs[i]; x.Workload == wl && x.Contender == c && x.Concurrency == conc {
				return x
			}
		}
		return nil
	}
	var workloads []string
	for _, x := range pr.Runs {
		if !slices.Contains(workloads, x.Workload) {
			workloads = append(workloads, x.Workload)
		}
	}
	rps := func(wl, c string, conc int) float64 {
		if x := find(wl, c, conc); x != nil && x.Median.ErrorPercent <= 1 {
			return x.Median.RPS
		}
		return 0
	}
	ratio := func(a, b float64) string {
		if a == 0 || b == 0 {
			return "—"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	for _, conc := range pr.Conc {
		w("Concurrency %d, req/s (× the floor):\n\n| workload | %s |\n|---|%s\n", conc, strings.Join(header, " | "), strings.Repeat("--:|", len(contenders)))
		for _, wl := range workloads {
			cells := make([]string, len(contenders))
			for i, c := range contenders {
				x := find(wl, c, conc)
				switch {
				case x == nil:
					cells[i] = "—"
				case x.Median.ErrorPercent > 1:
					cells[i] = fmt.Sprintf("%.0f (%.0f %% errors)", x.Median.RPS, x.Median.ErrorPercent)
				case c == cFloor:
					cells[i] = fmt.Sprintf("%.0f", x.Median.RPS)
				default:
					cells[i] = fmt.Sprintf("%.0f (%s)", x.Median.RPS, ratio(x.Median.RPS, rps(wl, cFloor, conc)))
				}
			}
			w("| %s | %s |\n", wl, strings.Join(cells, " | "))
		}
		w("\nOurs ÷ the peers, concurrency %d:\n\n| workload | REST ÷ PostGraphile | REST ÷ PocketBase | GraphQL ÷ PostGraphile | GraphQL ÷ PocketBase |\n|---|--:|--:|--:|--:|\n", conc)
		for _, wl := range workloads {
			r, g := rps(wl, cOursREST, conc), rps(wl, cOursGraphQL, conc)
			pg, pb := rps(wl, cPostGraphile, conc), rps(wl, cPocketBase, conc)
			w("| %s | %s | %s | %s | %s |\n", wl, ratio(r, pg), ratio(r, pb), ratio(g, pg), ratio(g, pb))
		}
		w("\nCPU ms per request of the median round, concurrency %d: server + PostgreSQL = total (see the notes):\n\n| workload | %s |\n|---|%s\n",
			conc, strings.Join(contenders, " | "), strings.Repeat("--:|", len(contenders)))
		for _, wl := range workloads {
			// Our server runs in the benchmark's process: its CPU is the
			// process's less the load generator's, which is the process's
			// CPU per request while it loads a peer with the same workload.
			client := -1.0
			for _, c := range []string{cPocketBase, cPostGraphile} {
				if x := find(wl, c, conc); x != nil && client < 0 {
					client = x.MedianCPU.Self
				}
			}
			cells := make([]string, len(contenders))
			for i, c := range contenders {
				x := find(wl, c, conc)
				switch {
				case x == nil:
					cells[i] = "—"
				case c == cFloor:
					cells[i] = fmt.Sprintf("%.2f (PostgreSQL)", x.MedianCPU.Postgres)
				case c == cOursREST || c == cOursGraphQL:
					if client < 0 {
						cells[i] = fmt.Sprintf("%.2f with the load generator + %.2f", x.MedianCPU.Self, x.MedianCPU.Postgres)
						continue
					}
					srv := max(0, x.MedianCPU.Self-client)
					cells[i] = fmt.Sprintf("≈%.2f + %.2f = %.2f", srv, x.MedianCPU.Postgres, srv+x.MedianCPU.Postgres)
				default:
					cells[i] = fmt.Sprintf("%.2f + %.2f = %.2f", x.MedianCPU.Server, x.MedianCPU.Postgres, x.MedianCPU.Server+x.MedianCPU.Postgres)
				}
			}
			w("| %s | %s |\n", wl, strings.Join(cells, " | "))
		}
		w("\nLatency of the median round, concurrency %d:\n\n| workload | contender | req/s | p50 ms | p90 ms | p99 ms | errors | req/s of each round | note |\n|---|---|--:|--:|--:|--:|--:|---|---|\n", conc)
		for _, wl := range workloads {
			for _, c := range contenders {
				x := find(wl, c, conc)
				if x == nil {
					continue
				}
				rounds := make([]string, len(x.Rounds))
				for i, r := range x.Rounds {
					rounds[i] = fmt.Sprintf("%.0f", r.RPS)
				}
				m := x.Median
				w("| %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %s | %s |\n", wl, c, m.RPS, m.P50ms, m.P90ms, m.P99ms, m.Errors, strings.Join(rounds, ", "), x.Note)
			}
		}
		w("\n")
	}
	for _, n := range pr.Notes {
		w("- %s\n", n)
	}
	for _, sk := range pr.Skipped {
		w("- %s\n", sk)
	}
	return s.String()
}
