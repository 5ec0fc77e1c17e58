package main

// The floor: pgbench running the plain SQL of each workload on our
// benchmark database (prepared statements, one connection per client, no
// HTTP), which no service over the same PostgreSQL can beat.

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

type floor struct {
	bin, dsn, dir string
	version       string
	runs          int
	// pgbench -f arguments per workload.
	getByID, newest, create []string
}

const floorCols = `id, created, updated, title, body, author, published, views, tags`

func (b *bench) newFloor(ctx context.Context, bin, dsn, dir string) (*floor, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return nil, err
	}
	f := &floor{bin: bin, dsn: dsn, dir: filepath.Join(dir, "pgbench"), version: versionNumber.FindString(string(out))}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return nil, err
	}
	script := func(name, text string) (string, error) {
		path := filepath.Join(f.dir, name+".sql")
		return path, os.WriteFile(path, []byte(text), 0o644)
	}
	// pgbench has no string variables: one script per id, picked at random
	// with equal weights (at most 128 scripts).
	for i, id := range b.postsPub[:min(100, len(b.postsPub))] {
		path, err := script(fmt.Sprintf("get-%03d", i), fmt.Sprintf("SELECT %s FROM data.posts WHERE id = '%s';\n", floorCols, id))
		if err != nil {
			return nil, err
		}
		f.getByID = append(f.getByID, "-f", path+"@1")
	}
	path, err := script("newest", fmt.Sprintf("\\set o 20 * random(0, 4)\nSELECT %s FROM data.posts ORDER BY created DESC, id DESC LIMIT 20 OFFSET :o;\n", floorCols))
	if err != nil {
		return nil, err
	}
	f.newest = []string{"-f", path}
	path, err = script("create", fmt.Sprintf("\\set i random(1, 1000000000)\n"+
		"INSERT INTO data.posts (title, body, author, published, views, tags) VALUES ('peer post ' || :i, '%s', '%s', true, :i, '[\"go\", \"new\"]') RETURNING id, created;\n",
		strings.Repeat("new body ", 30), b.authors[0]))
	if err != nil {
		return nil, err
	}
	f.create = []string{"-f", path}
	return f, nil
}

var versionNumber = regexp.MustCompile(`[0-9]+(\.[0-9]+)+`)

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
var failedLine = regexp.MustCompile(`number of failed transactions: ([0-9]+)`)

// run runs pgbench for dur (rounded up to whole seconds, pgbench's unit)
// and reads the latencies from its per-transaction log.
func (f *floor) run(ctx context.Context, scripts []string, conc int, dur time.Duration) runStats {
	f.runs++
	prefix := filepath.Join(f.dir, fmt.Sprintf("log%d", f.runs))
	secs := int(math.Ceil(dur.Seconds()))
	args := append([]string{"-n", "-M", "prepared", "-c", strconv.Itoa(conc), "-j", strconv.Itoa(min(conc, runtime.NumCPU())),
		"-T", strconv.Itoa(secs), "-l", "--log-prefix", prefix}, scripts...)
	args = append(args, f.dsn)
	// A PostgreSQL shared with other clients may be out of connections for
	// a moment: pgbench is tried three times.
	var out []byte
	var err error
	for try := 0; try < 3; try++ {
		if out, err = exec.CommandContext(ctx, f.bin, args...).CombinedOutput(); err == nil || !strings.Contains(string(out), "too many clients") {
			break
		}
		time.Sleep(time.Second)
	}
	var s runStats
	if err != nil {
		s.FirstError = fmt.Sprintf("pgbench: %v: %s", err, lastLines(string(out), 3))
		s.Errors, s.ErrorPercent = 1, 100
		return s
	}
	if m := tpsLine.FindSubmatch(out); m != nil {
		s.RPS, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := failedLine.FindSubmatch(out); m != nil {
		s.Errors, _ = strconv.Atoi(string(m[1]))
	}
	lat, err := pgbenchLatencies(prefix)
	if err != nil {
		s.FirstError = err.Error()
	}
	s.Requests, s.Seconds = len(lat), float64(secs)
	if n := len(lat); n > 0 {
		slices.Sort(lat)
		pct := func(p float64) float64 { return lat[int(p*float64(n-1))] / 1000 }
		s.P50ms, s.P90ms, s.P99ms = pct(0.50), pct(0.90), pct(0.99)
		s.ErrorPercent = 100 * float64(s.Errors) / float64(n)
	}
	return s
}

// pgbenchLatencies reads the third field (latency, µs) of every line of
// the per-transaction logs prefix.* (one file per thread).
func pgbenchLatencies(prefix string) ([]float64, error) {
	files, err := filepath.Glob(prefix + ".*")
	if err != nil {
		return nil, err
	}
	var lat []float64
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if fs := strings.Fields(sc.Text()); len(fs) >= 3 {
				if us, err := strconv.ParseFloat(fs[2], 64); err == nil {
					lat = append(lat, us)
				}
			}
		}
		fh.Close()
		os.Remove(name)
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return lat, nil
}
