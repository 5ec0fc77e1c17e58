package settings_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/httpx"
	"fastcms/internal/notify"
	"fastcms/internal/pgtest"
	"fastcms/internal/settings"
)

// BenchmarkSettingsChecks sets the cost of the per-request settings checks
// against a whole request, in one run:
//
//   - request/limit_off and request/limit_on: a signed-in record listing
//     through the real router (App.Handler, no network), with api_rate_limit
//     off and on; maintenance mode, CORS and the other snapshot reads run
//     either way.
//   - checks_only/limit_off and checks_only/limit_on: the same checks (the
//     maintenance and rate-limit middleware reading a live settings
//     snapshot) over a handler that does nothing, so what they add to a
//     request alone.
//
// The ratio of a request with the checks to one without is then
// request/(request − checks_only).
func BenchmarkSettingsChecks(b *testing.B) {
	s := apptest.Start(b)
	r := s.Do(b, http.MethodPost, "/api/v1/setup", map[string]any{"email": "bench@example.com", "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		b.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	root := r.JSON(b)["token"].(map[string]any)["access_token"].(string)
	if r := s.Do(b, http.MethodPost, "/api/v1/collections", map[string]any{"name": "items", "schema": []any{map[string]any{"name": "title", "type": "text"}}}, root); r.Status != http.StatusCreated {
		b.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	for range 20 {
		if r := s.Do(b, http.MethodPost, "/api/v1/collections/items/records", map[string]any{"data": map[string]any{"title": "an item"}}, root); r.Status != http.StatusCreated {
			b.Fatalf("insert: %d %s", r.Status, r.Body)
		}
	}
	svc := liveSettings(b)
	checks := httpx.NewRateLimiter(func() httpx.RateLimit {
		snap := svc.Current()
		return httpx.RateLimit{PerMinute: snap.APIRateLimit(), TrustForwardedFor: snap.TrustForwardedFor()}
	}, nil).Wrap(httpx.WithMaintenance(func() bool { return svc.Current().MaintenanceMode() }, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))

	for _, limit := range []struct {
		name  string
		value int
	}{{"limit_off", 0}, {"limit_on", 1 << 30}} {
		if r := s.Do(b, http.MethodPost, "/api/v1/settings", map[string]any{"key": "api_rate_limit", "value": limit.value}, root); r.Status != http.StatusOK {
			b.Fatalf("set: %d %s", r.Status, r.Body)
		}
		if err := svc.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Run("request/"+limit.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/collections/items/records", nil)
				req.Header.Set("Authorization", "Bearer "+root)
				w := httptest.NewRecorder()
				s.App.Handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("list: %d %s", w.Code, w.Body)
				}
			}
		})
		b.Run("checks_only/"+limit.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/collections/items/records", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				checks.ServeHTTP(w, req)
			}
		})
	}
	s.Do(b, http.MethodDelete, "/api/v1/settings/api_rate_limit", nil, root)
}

// liveSettings is a settings service of its own on the package database,
// following NOTIFY as an instance's does.
func liveSettings(tb testing.TB) *settings.Service {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub, err := notify.Start(pgtest.URL(), log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { hub.Close() })
	svc, err := settings.New(context.Background(), pgtest.Open(tb), hub, log, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}
