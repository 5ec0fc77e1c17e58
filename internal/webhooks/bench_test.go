package webhooks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// TestWebhookThroughput measures, in one run, record creates per second
// with 0, 1 and 10 webhooks registered (4 writers, 2 s each) and how fast
// the deliveries of each phase reach a local receiver. It runs only with
// WEBHOOK_BENCH=1:
//
//	WEBHOOK_BENCH=1 go test -count=1 ./internal/webhooks -run TestWebhookThroughput -v
func TestWebhookThroughput(t *testing.T) {
	if os.Getenv("WEBHOOK_BENCH") == "" {
		t.Skip("set WEBHOOK_BENCH=1 to measure")
	}
	s := start(t)
	root := adminToken(t, s)
	var received atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { received.Add(1) }))
	defer rc.Close()
	var base float64
	for _, hooks := range []int{0, 1, 10} {
		coll := collection(t, s, root)
		for range hooks {
			createHook(t, s, root, map[string]any{"url": rc.URL, "collection_name": coll})
		}
		before := received.Load()
		start := time.Now()
		creates := write(t, s, root, coll, 4, 2*time.Second)
		rate := float64(creates) / time.Since(start).Seconds()
		if hooks == 0 {
			base = rate
		}
		want := before + creates*int64(hooks)
		for received.Load() < want && time.Since(start) < 2*time.Minute {
			time.Sleep(10 * time.Millisecond)
		}
		took := time.Since(start).Seconds()
		t.Logf("%2d webhooks: %6.0f creates/s (%.2f× no webhook); %d deliveries in %.1f s from the first write: %.0f/s",
			hooks, rate, rate/base, creates*int64(hooks), took, float64(received.Load()-before)/took)
		if _, err := s.DB(t).Exec(`DELETE FROM webhooks`); err != nil {
			t.Fatal(err)
		}
	}
}

// write creates records from n writers for d and returns how many.
func write(t *testing.T, s *apptest.Server, token, coll string, n int, d time.Duration) int64 {
	var done atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				body, _ := json.Marshal(map[string]any{"data": map[string]any{"title": fmt.Sprint(w, i)}})
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/collections/"+coll+"/records", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := s.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return done.Load()
}
