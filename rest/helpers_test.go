package rest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"fastcms/internal/apptest"
)

const password = "secret123"

var emailSeq atomic.Int64

// newEmail is unique within the package's database.
func newEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, emailSeq.Add(1))
}

type account struct {
	ID, Email, Access, Refresh string
}

func register(t *testing.T, s *apptest.Server, email string) account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", email, r.Status, r.Body)
	}
	return accountFrom(t, r)
}

func login(t *testing.T, s *apptest.Server, email, pw string) account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": pw}, "")
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return accountFrom(t, r)
}

func accountFrom(t *testing.T, r *apptest.Response) account {
	t.Helper()
	body := r.JSON(t)
	user := body["user"].(map[string]any)
	tok := body["token"].(map[string]any)
	return account{ID: user["id"].(string), Email: user["email"].(string), Access: tok["access_token"].(string), Refresh: tok["refresh_token"].(string)}
}

// admin is an admin account: the first admin made through setup, or a user
// that admin promoted, so tests need not run in any order.
func admin(t *testing.T, s *apptest.Server) account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": "root@example.com", "password": password}, "")
	if r.Status == http.StatusOK {
		return accountFrom(t, r)
	}
	r = s.Do(t, http.MethodPost, "/api/v1/setup", map[string]any{"email": "root@example.com", "password": password, "password_confirm": password}, "")
	if r.Status == http.StatusConflict { // a parallel test won the setup
		return login(t, s, "root@example.com", password)
	}
	if r.Status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	return accountFrom(t, r)
}

// userJSON is the exact UserResponse expected for a fresh account.
func userJSON(id any, email, role string, verified bool) map[string]any {
	return map[string]any{"id": id, "email": email, "name": "", "avatar": "", "role": role, "verified": verified,
		"oauth_provider": nil, "created": apptest.AnyTime, "updated": apptest.AnyTime}
}

func tokenJSON() map[string]any {
	return map[string]any{"access_token": apptest.AnyString, "refresh_token": apptest.AnyString, "token_type": "bearer", "expires_in": 900}
}

func expectUnauthorized(t *testing.T, r *apptest.Response, message string) {
	t.Helper()
	apptest.ExpectError(t, r, http.StatusUnauthorized, "unauthorized", message, nil)
}

func decodeList(t *testing.T, r *apptest.Response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("not a JSON list: %v: %s", err, r.Body)
	}
	return out
}
