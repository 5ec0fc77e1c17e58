package reference_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sync/atomic"
	"testing"

	"fastcms/internal/apptest"
)

const password = "secret123"

var emailSeq atomic.Int64

// signUp registers a new user and returns its access token.
func signUp(t *testing.T, s *apptest.Server) (email, token string) {
	t.Helper()
	email = fmt.Sprintf("docs-%d@example.com", emailSeq.Add(1))
	r := s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	return email, r.JSON(t)["token"].(map[string]any)["access_token"].(string)
}

// adminToken returns an access token of the package database's first
// admin, set up by the first test that asks.
func adminToken(t *testing.T, s *apptest.Server) string {
	t.Helper()
	creds := map[string]any{"email": "root@example.com", "password": password}
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", creds, "")
	if r.Status != http.StatusOK {
		creds["password_confirm"] = password
		if r = s.Do(t, http.MethodPost, "/api/v1/setup", creds, ""); r.Status != http.StatusCreated {
			t.Fatalf("setup: %d %s", r.Status, r.Body)
		}
	}
	return r.JSON(t)["token"].(map[string]any)["access_token"].(string)
}

// createCollection creates a collection as the admin.
func createCollection(t *testing.T, s *apptest.Server, admin string, def map[string]any) {
	t.Helper()
	if r := s.Do(t, http.MethodPost, "/api/v1/collections", def, admin); r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
}

// page gets an HTML page, failing unless the status is want.
func page(t *testing.T, s *apptest.Server, path, token string, want int) string {
	t.Helper()
	r := s.Do(t, http.MethodGet, path, nil, token, "Accept", "text/html")
	if r.Status != want {
		t.Fatalf("GET %s: %d, want %d: %s", path, r.Status, want, r.Body)
	}
	if want == http.StatusOK || want == http.StatusUnauthorized {
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Fatalf("GET %s: Content-Type %q", path, ct)
		}
		if csp := r.Header.Get("Content-Security-Policy"); csp != wantCSP {
			t.Fatalf("GET %s: Content-Security-Policy %q", path, csp)
		}
	}
	return string(r.Body)
}

var playgroundLink = regexp.MustCompile(`href="(/playground\?[^"]+)"`)

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// onlyMissingRecord reports whether errs (a GraphQL errors list) are all
// about data (the placeholder ids name no record), none about the document
// or its variables.
func onlyMissingRecord(errs any) bool {
	list, _ := errs.([]any)
	for _, e := range list {
		ext, _ := e.(map[string]any)["extensions"].(map[string]any)
		switch ext["code"] {
		case "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", nil:
			return false
		}
	}
	return len(list) > 0
}
