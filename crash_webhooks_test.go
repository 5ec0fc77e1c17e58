package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"fastcms/internal/pgtest"
)

// A server killed with SIGKILL between claiming a delivery and reading the
// receiver's answer loses nothing: after a restart the lease runs out, the
// delivery is sent again, and every record created reaches the receiver.
func TestCrashLosesNoWebhookDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server twice")
	}
	var mu sync.Mutex
	okIDs := map[string]bool{}
	hits := 0
	stalled := make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		n := hits
		mu.Unlock()
		if n == 5 { // the server dies while this request waits for its answer
			io.Copy(io.Discard, r.Body) //nolint:errcheck // read so that the server notices the client going away
			close(stalled)
			<-r.Context().Done()
			return
		}
		mu.Lock()
		okIDs[r.Header.Get("X-Webhook-Id")] = true
		mu.Unlock()
	}))
	defer receiver.Close()

	port := freePort(t)
	base := "http://127.0.0.1:" + port
	env := append(os.Environ(), "FASTCMS_TEST_SERVE=1", "DATABASE_URL="+pgtest.URL(), "PORT="+port, "DATA_DIR="+t.TempDir(),
		"LOG_LEVEL=error", "WEBHOOK_ALLOW_PRIVATE_TARGETS=true", "WEBHOOK_RETRY_DELAYS=50ms", "WEBHOOK_TIMEOUT=1s")
	server := startServer(t, env, base)
	admin := crashAdmin(t, base)
	post(t, base+"/api/v1/collections", admin, map[string]any{"name": "hooked", "schema": []any{map[string]any{"name": "n", "type": "number"}}}, http.StatusCreated, nil)
	post(t, base+"/api/v1/webhooks", admin, map[string]any{"url": receiver.URL, "collection_name": "hooked"}, http.StatusCreated, nil)
	const records = 20
	for i := range records {
		post(t, base+"/api/v1/collections/hooked/records", admin, map[string]any{"data": map[string]any{"n": i}}, http.StatusCreated, nil)
	}
	select {
	case <-stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver never got its 5th request")
	}
	if err := server.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	server.Wait() //nolint:errcheck // killed

	startServer(t, env, base)
	db := pgtest.Open(t).DB
	deadline := time.Now().Add(20 * time.Second)
	for {
		var succeeded, total int
		if err := db.QueryRow(`SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*) FROM webhook_deliveries`).Scan(&succeeded, &total); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got := len(okIDs)
		mu.Unlock()
		if succeeded == records && total == records && got == records {
			t.Logf("%d requests for %d deliveries", hits, records)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries succeeded (%d rows), the receiver acknowledged %d", succeeded, records, total, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashAdmin signs in the package database's first admin, setting it up
// unless another test already did.
func crashAdmin(t *testing.T, base string) string {
	t.Helper()
	creds := map[string]any{"email": "root@crash.test", "password": "passw0rd!", "password_confirm": "passw0rd!"}
	b, _ := json.Marshal(creds)
	resp, err := http.Post(base+"/api/v1/setup", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var out struct {
		Token struct {
			Access string `json:"access_token"`
		} `json:"token"`
	}
	post(t, base+"/api/v1/auth/login", "", map[string]any{"email": creds["email"], "password": creds["password"]}, http.StatusOK, &out)
	return out.Token.Access
}
