package settings_test

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// expectBudget checks a response's status and rate-limit headers.
func expectBudget(t *testing.T, r *apptest.Response, status int, limit, remaining, reset, retryAfter string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	for h, want := range map[string]string{"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset, "Retry-After": retryAfter} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
}

// api_rate_limit: a token bucket per client (user, else address) holding a
// minute's worth of requests, refilled continuously.
func TestAPIRateLimit(t *testing.T) {
	base := time.Now()
	var offset atomic.Int64
	clock := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	s := apptest.Start(t, apptest.WithNow(clock))
	root := admin(t, s)
	u := user(t, s, "limited@example.com")

	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusOK, "", "", "", "")
	r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "api_rate_limit", "value": 3}, root.Access)
	expectBudget(t, r, http.StatusOK, "", "", "", "") // the limit was off when this request came in

	// Anonymous callers share their address's budget: 3 at once, then one
	// every 20 s.
	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusOK, "3", "2", "20", "")
	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/collections", nil, ""), http.StatusUnauthorized, "3", "1", "40", "")
	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusOK, "3", "0", "60", "")
	r = s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, "")
	expectBudget(t, r, http.StatusTooManyRequests, "3", "0", "60", "20")
	apptest.ExpectJSON(t, r, http.StatusTooManyRequests, map[string]any{"error": "too many requests",
		"message": "rate limit of 3 requests a minute reached; try again in 20 seconds", "details": map[string]any{"retry_after": 20}})
	r, _ = s.GraphQL(t, `{ setup_needed }`, nil, "")
	expectBudget(t, r, http.StatusTooManyRequests, "3", "0", "60", "20")
	apptest.ExpectJSON(t, r, http.StatusTooManyRequests, map[string]any{"errors": []any{map[string]any{
		"message": "rate limit of 3 requests a minute reached; try again in 20 seconds", "extensions": map[string]any{"code": "TOO_MANY_REQUESTS", "retry_after": 20}}}})
	// Health checks are never limited.
	expectBudget(t, s.Do(t, http.MethodGet, "/health", nil, ""), http.StatusOK, "", "", "", "")

	// A signed-in user has a budget of their own; GraphQL counts one per operation.
	r, _ = s.GraphQL(t, `{ me { email } }`, nil, u.Access)
	expectBudget(t, r, http.StatusOK, "3", "2", "20", "")

	// X-Forwarded-For is not believed unless trust_x_forwarded_for says so.
	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, "", "X-Forwarded-For", "203.0.113.9"), http.StatusTooManyRequests, "3", "0", "60", "20")
	expectBudget(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "trust_x_forwarded_for", "value": true}, root.Access), http.StatusOK, "3", "2", "20", "")
	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, "", "X-Forwarded-For", "10.0.0.1, 203.0.113.9"), http.StatusOK, "3", "2", "20", "")

	// 20 s later the address has one request again.
	offset.Store(int64(20 * time.Second))
	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusOK, "3", "0", "60", "")
	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusTooManyRequests, "3", "0", "60", "20")

	// Removing the setting turns the limit off again.
	offset.Store(int64(time.Minute))
	for _, key := range []string{"trust_x_forwarded_for", "api_rate_limit"} {
		if r := s.Do(t, http.MethodDelete, "/api/v1/settings/"+key, nil, root.Access); r.Status != http.StatusNoContent {
			t.Fatalf("delete %s: %d %s", key, r.Status, r.Body)
		}
	}
	expectBudget(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusOK, "", "", "", "")
}

// On a websocket the upgrade counts once and then each operation.
func TestAPIRateLimitWebsocket(t *testing.T) {
	base := time.Now()
	s := apptest.Start(t, apptest.WithNow(func() time.Time { return base }))
	root := admin(t, s)
	set(t, s, root.Access, "api_rate_limit", 3)

	// The upgrade spends one request (its 101 answer carries no rate-limit
	// headers: the websocket library writes it), each operation one more.
	ws := dialGraphQL(t, s, "")
	want := []any{
		map[string]any{"data": map[string]any{"setup_needed": false}},
		map[string]any{"data": map[string]any{"setup_needed": false}},
		map[string]any{"data": nil, "errors": []any{map[string]any{"message": "rate limit of 3 requests a minute reached; try again in 20 seconds",
			"extensions": map[string]any{"code": "TOO_MANY_REQUESTS", "retry_after": 20}}}},
	}
	for i, payload := range want {
		id := strconv.Itoa(i + 1)
		ws.expectResult(id, "{ setup_needed }", payload)
	}
}
