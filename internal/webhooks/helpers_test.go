package webhooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/pgtest"
)

// The tests of this package do not run in parallel: every server of the
// package's database claims every pending delivery, and the SSRF test's
// server refuses the local receivers the others use.
func TestMain(m *testing.M) { pgtest.Main(m) }

const password = "secret123"

var seq atomic.Int64

func newName(prefix string) string { return fmt.Sprintf("%s_%d", prefix, seq.Add(1)) }

// start runs a server whose webhooks may call local receivers and retry
// after 50 ms; each test's webhooks are deleted when it ends.
func start(t *testing.T, opts ...apptest.Option) *apptest.Server {
	t.Helper()
	base := func(c *config.Config, _ *app.Options) {
		c.Webhooks.AllowPrivateTargets = true
		c.Webhooks.RetryDelays = []time.Duration{50 * time.Millisecond}
		c.Webhooks.Timeout = 2 * time.Second
	}
	s := apptest.Start(t, append([]apptest.Option{base}, opts...)...)
	t.Cleanup(func() {
		if _, err := s.DB(t).Exec(`DELETE FROM webhooks`); err != nil {
			t.Error(err)
		}
	})
	return s
}

// adminToken signs in the package's admin, creating it on first use.
func adminToken(t *testing.T, s *apptest.Server) string {
	t.Helper()
	creds := map[string]any{"email": "root@example.com", "password": password, "password_confirm": password}
	r := s.Do(t, http.MethodPost, "/api/v1/setup", creds, "")
	if r.Status != http.StatusCreated {
		r = s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": creds["email"], "password": password}, "")
	}
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("admin: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["token"].(map[string]any)["access_token"].(string)
}

func userToken(t *testing.T, s *apptest.Server) string {
	t.Helper()
	email := newName("user") + "@example.com"
	r := s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["token"].(map[string]any)["access_token"].(string)
}

// collection creates a collection with a text title and a number n.
func collection(t *testing.T, s *apptest.Server, token string) string {
	t.Helper()
	name := newName("posts")
	r := s.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"name": name, "schema": []any{
		map[string]any{"name": "title", "type": "text"}, map[string]any{"name": "n", "type": "number"}}}, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	return name
}

func createRecord(t *testing.T, s *apptest.Server, token, coll string, data map[string]any) string {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/collections/"+coll+"/records", map[string]any{"data": data}, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("create record: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

func createHook(t *testing.T, s *apptest.Server, token string, body map[string]any) map[string]any {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/webhooks", body, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("create webhook: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)
}

// hit is one request a receiver got.
type hit struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a real HTTP server answering with script[i] to its i-th
// request (the last entry repeats).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	hits []hit
	got  chan struct{}
}

type reply struct {
	status int
	header map[string]string
	body   string
}

func newReceiver(t *testing.T, script ...reply) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan struct{}, 1000)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.hits)
		rc.hits = append(rc.hits, hit{header: r.Header.Clone(), body: b, at: time.Now()})
		rc.mu.Unlock()
		rp := reply{status: http.StatusOK}
		if len(script) > 0 {
			rp = script[min(n, len(script)-1)]
		}
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.status)
		_, _ = io.WriteString(w, rp.body)
		rc.got <- struct{}{}
	}))
	t.Cleanup(rc.Close)
	return rc
}

// wait returns the first n requests, failing after 10 s.
func (rc *receiver) wait(t *testing.T, n int) []hit {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		rc.mu.Lock()
		if len(rc.hits) >= n {
			out := append([]hit(nil), rc.hits...)
			rc.mu.Unlock()
			return out
		}
		rc.mu.Unlock()
		select {
		case <-rc.got:
		case <-deadline:
			t.Fatalf("the receiver got %d requests, want %d", rc.count(), n)
		}
	}
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.hits)
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// deliveries waits until the webhook's newest delivery is no longer
// pending (or want of them exist and none is pending) and returns the log.
func deliveries(t *testing.T, s *apptest.Server, token, hookID string, want int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.Do(t, http.MethodGet, "/api/v1/webhooks/"+hookID+"/deliveries", nil, token)
		if r.Status != http.StatusOK {
			t.Fatalf("deliveries: %d %s", r.Status, r.Body)
		}
		var items []map[string]any
		for _, it := range r.JSON(t)["items"].([]any) {
			items = append(items, it.(map[string]any))
		}
		done := len(items) == want
		for _, it := range items {
			done = done && it["status"] != "pending"
		}
		if done {
			return items
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries of %s did not settle: %s", hookID, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
