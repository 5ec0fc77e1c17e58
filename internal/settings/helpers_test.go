package settings_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/pgtest"
)

// The tests of this package change settings every instance of its
// database obeys (maintenance mode, the rate limit), so they run one at a
// time, each on its own database apart from the other packages' tests.
func TestMain(m *testing.M) { pgtest.Main(m) }

const password = "secret123"

type account struct{ ID, Access string }

func accountFrom(t *testing.T, r *apptest.Response) account {
	t.Helper()
	body := r.JSON(t)
	return account{ID: body["user"].(map[string]any)["id"].(string), Access: body["token"].(map[string]any)["access_token"].(string)}
}

// admin is the first admin, set up once per database.
func admin(t *testing.T, s *apptest.Server) account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": "root@example.com", "password": password}, "")
	if r.Status == http.StatusOK {
		return accountFrom(t, r)
	}
	r = s.Do(t, http.MethodPost, "/api/v1/setup", map[string]any{"email": "root@example.com", "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	return accountFrom(t, r)
}

// user signs in as a plain user, registering it on first use.
func user(t *testing.T, s *apptest.Server, email string) account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "")
	if r.Status == http.StatusOK {
		return accountFrom(t, r)
	}
	r = s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	return accountFrom(t, r)
}

// set stores a setting through REST and removes it when t ends.
func set(t *testing.T, s *apptest.Server, token, key string, value any) {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": key, "value": value}, token)
	if r.Status != http.StatusOK {
		t.Fatalf("set %s: %d %s", key, r.Status, r.Body)
	}
	t.Cleanup(func() { s.Do(t, http.MethodDelete, "/api/v1/settings/"+key, nil, token) })
}

// entry is a setting as a listing shows it.
func entry(value any, description, source string, secret bool) map[string]any {
	return map[string]any{"value": value, "description": description, "source": source, "secret": secret}
}

// Descriptions of the known keys, as the API shows them.
const (
	descMaintenance = "REST and GraphQL writes of non-admins answer 503 SERVICE_UNAVAILABLE; reads, auth and admins keep working"
	descSMTP        = "SMTP password (write-only); the mail sender reads SMTP_PASSWORD at start"
	descRate        = "requests per minute per client (per user when signed in, per address otherwise), per instance; 0 is no limit"
	descTrust       = "whether api_rate_limit takes an anonymous client's address from the last X-Forwarded-For entry (only behind a proxy that sets it)"
	descFileSize    = "largest file upload in bytes"
)
