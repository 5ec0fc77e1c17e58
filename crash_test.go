package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"fastcms/internal/events"
	"fastcms/internal/pgtest"
)

// The crash test runs the real server as a subprocess: this test binary,
// re-executed with FASTCMS_TEST_SERVE=1, runs main.
func TestMain(m *testing.M) {
	if os.Getenv("FASTCMS_TEST_SERVE") == "1" {
		os.Args = os.Args[:1]
		main()
		return
	}
	pgtest.Main(m)
}

// A server killed with SIGKILL in the middle of a write burst loses no
// event: after a restart every committed record has exactly one event, the
// seqs have no hole and no repeat, and a subscriber resuming from before
// the burst receives each record's event once, in seq order.
func TestCrashLosesNoEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server twice")
	}
	port := freePort(t)
	base := "http://127.0.0.1:" + port
	env := append(os.Environ(), "FASTCMS_TEST_SERVE=1", "DATABASE_URL="+pgtest.URL(), "PORT="+port,
		"DATA_DIR="+t.TempDir(), "LOG_LEVEL=error")
	server := startServer(t, env, base)

	var setup struct {
		Token struct {
			Access string `json:"access_token"`
		} `json:"token"`
	}
	post(t, base+"/api/v1/setup", "", map[string]any{"email": "root@crash.test", "password": "passw0rd!", "password_confirm": "passw0rd!"}, http.StatusCreated, &setup)
	admin := setup.Token.Access
	post(t, base+"/api/v1/collections", admin, map[string]any{"name": "items", "create_rule": "", "list_rule": "", "view_rule": "",
		"schema": []any{map[string]any{"name": "n", "type": "number"}}}, http.StatusCreated, nil)

	// The burst: 8 writers create records until the server dies under them.
	var acked atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				body, _ := json.Marshal(map[string]any{"data": map[string]any{"n": i}})
				resp, err := client.Post(base+"/api/v1/collections/items/records", "application/json", bytes.NewReader(body))
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					acked.Add(1)
				}
			}
		}()
	}
	for acked.Load() < 300 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := server.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	server.Wait() //nolint:errcheck // killed
	wg.Wait()

	startServer(t, env, base)
	db := pgtest.Open(t).DB
	end, err := events.LogEnd(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var records, evs, distinctSeq, minSeq, maxSeq int64
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM data.items),
		(SELECT count(*) FROM events WHERE collection = 'items'),
		(SELECT count(DISTINCT seq) FROM events), (SELECT min(seq) FROM events), (SELECT max(seq) FROM events)`).
		Scan(&records, &evs, &distinctSeq, &minSeq, &maxSeq); err != nil {
		t.Fatal(err)
	}
	var orphans int64
	if err := db.QueryRow(`SELECT count(*) FROM data.items r FULL JOIN (SELECT record_id, count(*) AS n FROM events
		WHERE collection = 'items' GROUP BY record_id) e ON e.record_id = r.id WHERE r.id IS NULL OR e.record_id IS NULL OR e.n <> 1`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged, %d committed records, %d events, seqs %d..%d", acked.Load(), records, evs, minSeq, maxSeq)
	switch {
	case records < acked.Load():
		t.Fatalf("%d records, but %d creates were acknowledged", records, acked.Load())
	case orphans != 0 || evs != records:
		t.Fatalf("%d records, %d events, %d records without exactly one event (or events without a record)", records, evs, orphans)
	case maxSeq != end || distinctSeq != maxSeq-minSeq+1:
		t.Fatalf("seqs %d..%d with %d distinct, log end %d: a hole or a repeat", minSeq, maxSeq, distinctSeq, end)
	}

	// A subscriber resuming from before the burst gets every record once.
	seen := replay(t, base, admin, int(records))
	if int64(len(seen)) != records {
		t.Fatalf("the replay delivered %d distinct records of %d", len(seen), records)
	}
}

func startServer(t *testing.T, env []string, base string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = env
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // may be dead already
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd
			}
		}
	}
	t.Fatal("the server did not become healthy")
	return nil
}

func post(t *testing.T, url, token string, body any, status int, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw) //nolint:errcheck // checked through the status
	if resp.StatusCode != status {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

// replay subscribes to items_mutated from seq 0 and reads n events,
// checking that their seqs increase and no record comes twice.
func replay(t *testing.T, base, token string, n int) map[string]bool {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}
	conn, _, err := d.Dial("ws"+base[len("http"):]+"/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(m map[string]any) {
		if err := conn.WriteJSON(m); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { items_mutated(after_seq: "0") { seq id } }`}})
	seen := map[string]bool{}
	last := int64(0)
	for len(seen) < n {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // shows up as a failed read
		var msg struct {
			Type    string `json:"type"`
			Payload struct {
				Data struct {
					Ev struct{ Seq, ID string } `json:"items_mutated"`
				} `json:"data"`
			} `json:"payload"`
		}
		if err := conn.ReadJSON(&msg); err != nil {
			t.Fatalf("after %d events: %v", len(seen), err)
		}
		if msg.Type != "next" {
			continue
		}
		seq, _ := strconv.ParseInt(msg.Payload.Data.Ev.Seq, 10, 64)
		if seq <= last || seen[msg.Payload.Data.Ev.ID] {
			t.Fatalf("event %s of record %s after seq %d: out of order or repeated", msg.Payload.Data.Ev.Seq, msg.Payload.Data.Ev.ID, last)
		}
		last, seen[msg.Payload.Data.Ev.ID] = seq, true
	}
	return seen
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}
