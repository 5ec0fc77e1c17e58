package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"fastcms/internal/apptest"
)

// BenchmarkSubscriptionFanout runs the realtime path end to end once:
// many subscribers on one server (real websocket clients over loopback, in
// this process) while records are written at a steady rate, and reports
// write-to-delivery latency (from just before the write request is sent
// to the subscriber's read of the event, so it includes the write's own
// round trip), the share of expected deliveries that arrived, and the heap
// per connection (client and server side together). Run it once:
//
//	go test ./graph/ -run '^$' -bench SubscriptionFanout -benchtime 1x
//
// SUB_BENCH_CLIENTS, SUB_BENCH_RATE (writes/s) and SUB_BENCH_SECONDS
// change the defaults of 1000, 100 and 10.
func BenchmarkSubscriptionFanout(b *testing.B) {
	clients, rate, seconds := envInt("SUB_BENCH_CLIENTS", 1000), envInt("SUB_BENCH_RATE", 100), envInt("SUB_BENCH_SECONDS", 10)
	for range b.N {
		runFanout(b, clients, rate, seconds)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func runFanout(b *testing.B, clients, rate, seconds int) {
	b.StopTimer()
	s := apptest.Start(b)
	_, body := s.GraphQL(b, `mutation($e: String!, $p: String!) { setup(email: $e, password: $p, password_confirm: $p) { token { access_token } } }`,
		map[string]any{"e": "bench-root@example.com", "p": password}, "")
	if body["errors"] != nil {
		_, body = s.GraphQL(b, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token { access_token } } }`,
			map[string]any{"e": "bench-root@example.com", "p": password}, "")
	}
	if body["errors"] != nil {
		b.Skipf("no admin for the benchmark (the database has another one): %v", body["errors"])
	}
	var root string
	for _, v := range body["data"].(map[string]any) {
		root = v.(map[string]any)["token"].(map[string]any)["access_token"].(string)
	}
	coll := newName("subbench")
	if _, body := s.GraphQL(b, fmt.Sprintf(`mutation { create_collection(name: %q, schema: [{name: "n", type: "number"}], view_rule: "", create_rule: "") { id } }`, coll), nil, root); body["errors"] != nil {
		b.Fatal(body["errors"])
	}
	var after int64
	if err := s.DB(b).QueryRow("SELECT COALESCE(max(seq), 0) FROM events").Scan(&after); err != nil {
		b.Fatal(err)
	}
	writes := rate * seconds
	sent := make([]atomic.Int64, writes) // unix nanos before each write

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	query := fmt.Sprintf(`subscription($a: String) { %s_mutated(after_seq: $a) { seq event id data { n } } }`, coll)
	conns := make([]*websocket.Conn, clients)
	d := websocket.Dialer{Subprotocols: []string{transportWS}, HandshakeTimeout: 10 * time.Second}
	for i := range conns {
		conn, resp, err := d.Dial("ws"+s.URL[len("http"):]+"/graphql", nil)
		if err != nil {
			b.Fatalf("client %d: %v", i, err)
		}
		resp.Body.Close()
		conns[i] = conn
		conn.WriteJSON(map[string]any{"type": "connection_init"}) //nolint:errcheck // checked by the ack
		var ack map[string]any
		if err := conn.ReadJSON(&ack); err != nil || ack["type"] != "connection_ack" {
			b.Fatalf("client %d: %v %v", i, err, ack)
		}
		conn.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{ //nolint:errcheck // shows in the counts
			"query": query, "variables": map[string]any{"a": strconv.FormatInt(after, 10)}}})
	}
	// Let the subscriptions start before measuring memory.
	time.Sleep(2 * time.Second)
	runtime.GC()
	var settled runtime.MemStats
	runtime.ReadMemStats(&settled)

	lat := make([][]time.Duration, clients)
	var delivered atomic.Int64
	var wg sync.WaitGroup
	for i, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, msg, err := conn.ReadMessage()
				if err != nil {
					return
				}
				now := time.Now().UnixNano()
				var m struct {
					Type    string
					Payload struct {
						Data map[string]struct {
							Data struct{ N int }
						}
					}
				}
				if json.Unmarshal(msg, &m) != nil || m.Type != "next" {
					continue
				}
				for _, ev := range m.Payload.Data {
					if ev.Data.N >= 0 && ev.Data.N < writes {
						lat[i] = append(lat[i], time.Duration(now-sent[ev.Data.N].Load()))
					}
				}
				delivered.Add(1)
			}
		}()
	}

	b.StartTimer()
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for n := range writes {
		<-tick.C
		sent[n].Store(time.Now().UnixNano())
		r := s.Do(b, http.MethodPost, "/api/v1/collections/"+coll+"/records", map[string]any{"data": map[string]any{"n": n}}, "")
		if r.Status != http.StatusCreated && r.Status != http.StatusOK {
			b.Fatalf("write %d: %d %s", n, r.Status, r.Body)
		}
	}
	tick.Stop()
	writeTime := time.Since(start)
	expected := int64(clients * writes)
	deadline := time.Now().Add(30 * time.Second)
	for delivered.Load() < expected && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	b.StopTimer()
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	defer b.StartTimer()

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(pct(1).Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(delivered.Load())/float64(expected), "delivered/expected")
	b.ReportMetric(float64(int64(settled.HeapAlloc)-int64(before.HeapAlloc))/float64(clients), "heap-B/conn")
	b.Logf("%d subscribers, %d writes in %v (%.0f/s): %d of %d deliveries; latency p50 %v p99 %v max %v; heap %d B/conn (client+server), %d goroutines",
		clients, writes, writeTime.Round(time.Millisecond), float64(writes)/writeTime.Seconds(), delivered.Load(), expected,
		pct(0.5), pct(0.99), pct(1), (int64(settled.HeapAlloc)-int64(before.HeapAlloc))/int64(clients), runtime.NumGoroutine())
}
