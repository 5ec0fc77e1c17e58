package rest_test

import (
	"net/http"
	"strings"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	const path = "/api/v1/auth/login"
	cases := []struct {
		name    string
		body    string
		headers []string
		status  int
		code    string
		message string
		fields  map[string]string
	}{
		{"malformed", `{"email": "a@b.c",`, nil, 400, "bad request", "malformed JSON: unexpected end of input", nil},
		{"syntax", `{"email" "a"}`, nil, 400, "bad request", "malformed JSON at byte 10", nil},
		{"empty", ``, nil, 400, "bad request", "request body is empty", nil},
		{"not an object", `[1,2]`, nil, 400, "bad request", "request body must be a JSON object", nil},
		{"unknown field", `{"email":"a@b.c","password":"x","admin":true}`, nil, 400, "bad request", `unknown field "admin"`, map[string]string{"admin": "is not a known field"}},
		{"wrong type", `{"email":5,"password":"x"}`, nil, 422, "validation failed", "email: must be a string", map[string]string{"email": "must be a string"}},
		{"trailing data", `{"email":"a@b.c","password":"x"} {}`, nil, 400, "bad request", "request body must hold a single JSON value", nil},
		{"wrong content type", `{"email":"a@b.c","password":"x"}`, []string{"Content-Type", "text/plain"}, 415, "unsupported media type", "Content-Type must be application/json", nil},
		{"oversized", `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, "request too large", "request body is larger than 65536 bytes", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, http.MethodPost, path, c.body, "", c.headers...)
			apptest.ExpectError(t, r, c.status, c.code, c.message, c.fields)
		})
	}
	t.Run("oversized without a length", func(t *testing.T) {
		// Chunked: the limit holds while reading, not only on Content-Length.
		req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(`{"email":"`+strings.Repeat("a", 70<<10)+`"}`))
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	})
}

func TestRoutingAndHeaders(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	r := s.Do(t, http.MethodGet, "/api/v1/nothing", nil, "")
	apptest.ExpectError(t, r, http.StatusNotFound, "not found", "no route for GET /api/v1/nothing", nil)

	r = s.Do(t, http.MethodGet, "/health", nil, "", "X-Request-ID", "client-id-42")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"status": "healthy", "service": "fastcms", "version": "0.1.0"})
	if got := r.Header.Get("X-Request-ID"); got != "client-id-42" {
		t.Fatalf("X-Request-ID %q, want the client's", got)
	}
	r = s.Do(t, http.MethodGet, "/health", nil, "", "X-Request-ID", "bad id with spaces")
	if got := r.Header.Get("X-Request-ID"); len(got) != 24 {
		t.Fatalf("X-Request-ID %q, want a fresh 24-hex id", got)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/ready", nil, ""), http.StatusOK, map[string]any{"status": "healthy", "service": "fastcms", "version": "0.1.0"})
}

func TestReadyDuringDrain(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	s.App.Drain()
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/ready", nil, ""), http.StatusServiceUnavailable, map[string]any{"status": "unhealthy", "service": "fastcms", "version": "0.1.0"})
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/health", nil, ""), http.StatusOK, map[string]any{"status": "healthy", "service": "fastcms", "version": "0.1.0"})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.CORSOrigins = []string{"https://app.example"} })
	r := s.Do(t, http.MethodOptions, "/api/v1/auth/login", nil, "", "Origin", "https://app.example",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, authorization")
	if r.Status != http.StatusNoContent {
		t.Fatalf("preflight: %d", r.Status)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, POST, PUT, PATCH, DELETE, OPTIONS",
		"Access-Control-Allow-Headers":     "content-type, authorization",
		"Access-Control-Max-Age":           "600",
		"Vary":                             "Origin",
	} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	r = s.Do(t, http.MethodGet, "/health", nil, "", "Origin", "https://evil.example")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("an unlisted origin got Access-Control-Allow-Origin %q", got)
	}
}
