package settings_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// BenchmarkSettingsChecks is a signed-in record listing through the real
// server with api_rate_limit off and on (maintenance mode is read on every
// request either way), to set the checks' cost against a whole request.
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
	for _, limit := range []struct {
		name  string
		value int
	}{{"limit_off", 0}, {"limit_on", 1 << 30}} {
		if r := s.Do(b, http.MethodPost, "/api/v1/settings", map[string]any{"key": "api_rate_limit", "value": limit.value}, root); r.Status != http.StatusOK {
			b.Fatalf("set: %d %s", r.Status, r.Body)
		}
		b.Run(limit.name, func(b *testing.B) {
			for b.Loop() {
				if r := s.Do(b, http.MethodGet, "/api/v1/collections/items/records", nil, root); r.Status != http.StatusOK {
					b.Fatalf("list: %d %s", r.Status, r.Body)
				}
			}
		})
	}
}
