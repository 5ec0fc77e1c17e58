package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// sec09Do sends a request with the access_token cookie (and no
// Authorization header) plus the given headers.
func sec09Do(t *testing.T, s *apptest.Server, method, path, contentType, body, cookie string, headers ...string) *apptest.Response {
	t.Helper()
	all := append([]string{"Cookie", "access_token=" + cookie, "Origin", "https://evil.example"}, headers...)
	if contentType != "" {
		all = append(all, "Content-Type", contentType)
	}
	var b any
	if body != "" {
		b = body
	}
	return s.Do(t, method, path, b, "", all...)
}

// sec09Operations is a GraphQL multipart request (the form a cross-site
// page can post without a preflight) carrying query.
func sec09Operations(t *testing.T, query string) (body, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"operations", `{"query":` + jsonString(query) + `}`}, {"map", "{}"}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The access_token cookie authenticates safe requests, and unsafe ones
// only with a header a cross-site form cannot send (X-Requested-With or
// Apollo-Require-Preflight), which forces a CORS preflight.
func TestSecurity09CookieNeedsCustomHeader(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	u := register(t, s, newEmail("csrf"))
	name := newName("csrf")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")},
		"list_rule": "", "view_rule": "", "create_rule": `@request.auth.id != ""`})
	me := map[string]any{"id": u.ID, "email": u.Email, "name": "", "avatar": "", "role": "user", "verified": false,
		"oauth_provider": nil, "created": apptest.AnyTime, "updated": apptest.AnyTime}

	// Safe methods: the cookie is enough.
	r := sec09Do(t, s, http.MethodGet, "/api/v1/auth/me", "", "", u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, me)
	r = sec09Do(t, s, http.MethodGet, "/graphql?query="+strings.ReplaceAll("{ me { id } }", " ", "+"), "", "", u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"me": map[string]any{"id": u.ID}}})

	// REST writes with the cookie alone are anonymous.
	expectUnauthorized(t, sec09Do(t, s, http.MethodPatch, "/api/v1/auth/me", "application/json", `{"name":"pwned"}`, u.Access), "authentication required")
	apptest.ExpectError(t, sec09Do(t, s, http.MethodPost, "/api/v1/collections/"+name+"/records", "application/json", `{"data":{"title":"csrf"}}`, u.Access),
		http.StatusForbidden, "forbidden", "the create rule of "+name+" does not allow this record", nil)
	expectUnauthorized(t, sec09Do(t, s, http.MethodDelete, "/api/v1/auth/me", "", "", u.Access), "authentication required")
	csv, ct := csvForm(t, "title\ncsrf\n")
	r = sec09Do(t, s, http.MethodPost, "/api/v1/collections/"+name+"/records/import/csv", ct, csv, u.Access)
	apptest.ExpectJSON(t, r, http.StatusForbidden, csvFailure("forbidden", "row 2: the create rule of "+name+" does not allow this record; nothing was imported", 1, nil,
		csvRowError(2, "the create rule of "+name+" does not allow this record")))

	// GraphQL multipart and JSON posts with the cookie alone are anonymous.
	mutation := `mutation { update_me(name: "pwned-by-csrf") { name } }`
	form, formCT := sec09Operations(t, mutation)
	for _, tc := range []struct{ what, ct, body string }{
		{"multipart", formCT, form},
		{"json", "application/json", `{"query":` + jsonString(mutation) + `}`},
	} {
		r = sec09Do(t, s, http.MethodPost, "/graphql", tc.ct, tc.body, u.Access)
		body := r.JSON(t)
		errs, _ := body["errors"].([]any)
		if r.Status != http.StatusOK || len(errs) != 1 || body["data"] != nil ||
			errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "UNAUTHENTICATED" {
			t.Fatalf("%s mutation with only the cookie: %d %s", tc.what, r.Status, r.Body)
		}
	}
	if n := csvCount(t, s, name, ""); n != 0 {
		t.Fatalf("%d records were created with only the cookie", n)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, u.Access), http.StatusOK, me)

	// With the custom header (a same-origin page, or an allowed origin past
	// its preflight) the cookie authenticates every method.
	r = sec09Do(t, s, http.MethodPatch, "/api/v1/auth/me", "application/json", `{"name":"by-xhr"}`, u.Access, "X-Requested-With", "XMLHttpRequest")
	me["name"] = "by-xhr"
	apptest.ExpectJSON(t, r, http.StatusOK, me)
	r = sec09Do(t, s, http.MethodPost, "/api/v1/collections/"+name+"/records/import/csv", ct, csv, u.Access, "X-Requested-With", "fetch")
	if r.Status != http.StatusCreated {
		t.Fatalf("import with the cookie and X-Requested-With: %d %s", r.Status, r.Body)
	}
	form, formCT = sec09Operations(t, `mutation { update_me(name: "by-apollo") { name } }`)
	r = sec09Do(t, s, http.MethodPost, "/graphql", formCT, form, u.Access, "Apollo-Require-Preflight", "true")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"update_me": map[string]any{"name": "by-apollo"}}})

	// The Authorization header needs no custom header: a page cannot make a
	// browser send it cross-site.
	r = s.Do(t, http.MethodPatch, "/api/v1/auth/me", map[string]any{"name": "by-bearer"}, u.Access, "Origin", "https://evil.example")
	me["name"] = "by-bearer"
	apptest.ExpectJSON(t, r, http.StatusOK, me)
}

// CORS_ORIGINS=* lets any page read public responses, never with the
// caller's credentials, and allows a fixed list of request headers.
func TestSecurity09WildcardCORSWithoutCredentials(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.CORSOrigins = []string{"*"} })
	u := register(t, s, newEmail("cors"))

	r := sec09Do(t, s, http.MethodGet, "/api/v1/auth/me", "", "", u.Access)
	if r.Status != http.StatusOK {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
	if got, ok := r.Header["Access-Control-Allow-Credentials"]; ok {
		t.Errorf("Access-Control-Allow-Credentials = %q with CORS_ORIGINS=*", got)
	}

	r = s.Do(t, http.MethodOptions, "/graphql", nil, "", "Origin", "https://evil.example",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-evil, content-type")
	if r.Status != http.StatusNoContent {
		t.Fatalf("preflight: %d %s", r.Status, r.Body)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":      "*",
		"Access-Control-Allow-Credentials": "",
		"Access-Control-Allow-Methods":     "GET, POST, PUT, PATCH, DELETE, OPTIONS",
		"Access-Control-Allow-Headers":     "Authorization, Content-Type, X-Request-ID, X-Requested-With, Apollo-Require-Preflight",
		"Access-Control-Max-Age":           "600",
	} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}

	// A websocket from any origin may open with a token in connection_init,
	// but not with the cookie, which the browser would add cross-site.
	wsURL := "ws" + strings.TrimPrefix(s.URL, "http") + "/graphql"
	dial := func(cookie bool) int {
		h := http.Header{"Origin": {"https://evil.example"}}
		if cookie {
			h.Set("Cookie", "access_token="+u.Access)
		}
		d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}
		c, resp, err := d.DialContext(context.Background(), wsURL, h)
		if err == nil {
			c.Close()
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the status matters
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := dial(false); got != http.StatusSwitchingProtocols {
		t.Errorf("websocket without the cookie: %d, want 101", got)
	}
	if got := dial(true); got != http.StatusForbidden {
		t.Errorf("websocket with the cookie from a foreign origin: %d, want 403", got)
	}
}

// A listed origin is trusted with credentials, as before.
func TestSecurity09ListedOriginKeepsCredentials(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.CORSOrigins = []string{"*", "https://app.example"} })
	r := s.Do(t, http.MethodGet, "/health", nil, "", "Origin", "https://app.example")
	if r.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("listed origin: %v", r.Header)
	}
	r = s.Do(t, http.MethodGet, "/health", nil, "", "Origin", "https://other.example")
	if r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("other origin under *: %v", r.Header)
	}
}
