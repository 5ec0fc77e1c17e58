package main

// The scenarios of the realtime load tool (subsload.go).

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

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
		return row, fanoutScenario(ctx, c, s, pid, &row)
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

func fanoutScenario(ctx context.Context, c subsConfig, s *subsServer, pid int, row *subsRow) error {
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
	cpu0 := readProc(pid)
	wl, failed := s.writer(ctx, c.writes, 0, c.rate, func(int) string { return "" }, func(i int) { sentAt[i].Store(time.Now().UnixNano()) })
	want := int64(c.subscribers) * int64(c.writes-int(failed))
	for deadline := time.Now().Add(10 * time.Second); delivered.Load() < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	cpu1 := readProc(pid)
	if n := delivered.Load(); n > 0 {
		// Server CPU per event delivered: robust where latency, which
		// the load tool's own CPU on the same cores inflates, is not.
		row.Figures["server_cpu_us_per_delivery"] = fmt.Sprintf("%.1f", float64((cpu1.cpu-cpu0.cpu).Microseconds())/float64(n))
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
