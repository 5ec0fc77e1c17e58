package oauth_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/oauthtest"
	"fastcms/internal/pgtest"
)

// The tests of this package store social login settings, which every
// instance of the package's database obeys, so they run one at a time on
// a database of their own.
func TestMain(m *testing.M) { pgtest.Main(m) }

const password = "secret123"

// adminToken is the first admin's access token; the admin is set up once
// per database.
func adminToken(t *testing.T, s *apptest.Server) string {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": "root@example.com", "password": password}, "")
	if r.Status != http.StatusOK {
		r = s.Do(t, http.MethodPost, "/api/v1/setup", map[string]any{"email": "root@example.com", "password": password, "password_confirm": password}, "")
	}
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("admin: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["token"].(map[string]any)["access_token"].(string)
}

// set stores a setting through REST and removes it when t ends.
func set(t *testing.T, s *apptest.Server, token, key string, value any) *apptest.Response {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": key, "value": value}, token)
	if r.Status != http.StatusOK {
		t.Fatalf("set %s: %d %s", key, r.Status, r.Body)
	}
	t.Cleanup(func() { s.Do(t, http.MethodDelete, "/api/v1/settings/"+key, nil, token) })
	return r
}

// loginStatus is the status of a login start on s (not followed).
func loginStatus(t *testing.T, s *apptest.Server, provider string) int {
	t.Helper()
	return oauthtest.Login(t, s, provider, "").Status
}
