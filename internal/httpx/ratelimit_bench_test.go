package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkRateLimiter is the per-request cost of the settings checks the
// router runs (maintenance mode, then the rate limit), off and on, over a
// handler that does nothing.
func BenchmarkRateLimiter(b *testing.B) {
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, c := range []struct {
		name  string
		limit int
	}{{"off", 0}, {"on", 1 << 30}} {
		b.Run(c.name, func(b *testing.B) {
			h := NewRateLimiter(func() RateLimit { return RateLimit{PerMinute: c.limit} }, nil).Wrap(WithMaintenance(func() bool { return false }, noop))
			req := httptest.NewRequest(http.MethodGet, "/api/v1/collections", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})
	}
}
