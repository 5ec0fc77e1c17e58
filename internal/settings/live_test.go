package settings_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/timefmt"
)

// Each test here changes live settings on one instance and watches them
// apply there at once and on a second instance of the database within a
// second (apptest.WaitFor), through REST and GraphQL.

// setGraphQL stores a setting through GraphQL and removes it when t ends.
func setGraphQL(t *testing.T, s *apptest.Server, token, key string, value any) {
	t.Helper()
	r, body := s.GraphQL(t, `mutation($k: String!, $v: jsonb) { set_setting(key: $k, value: $v) { key } }`, map[string]any{"k": key, "v": value}, token)
	if r.Status != http.StatusOK || body["errors"] != nil {
		t.Fatalf("set %s: %d %s", key, r.Status, r.Body)
	}
	t.Cleanup(func() { s.Do(t, http.MethodDelete, "/api/v1/settings/"+key, nil, token) })
}

// onBoth checks ok on a at once, then on b within a second.
func onBoth(t *testing.T, a, b *apptest.Server, what string, ok func(s *apptest.Server) bool) {
	t.Helper()
	if !ok(a) {
		t.Fatalf("%s: not on the instance that changed it", what)
	}
	start := time.Now()
	apptest.WaitFor(t, what+" on the second instance", func() bool { return ok(b) })
	t.Logf("%s reached the second instance after %v", what, time.Since(start))
}

func login(t *testing.T, s *apptest.Server, email string) map[string]any {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "")
	if r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)
}

func TestLiveTokenLifetimes(t *testing.T) {
	a, b := apptest.Start(t), apptest.Start(t)
	root := admin(t, a)
	user(t, a, "ttl@example.com")
	if got := login(t, b, "ttl@example.com")["token"].(map[string]any)["expires_in"]; got != 900.0 {
		t.Fatalf("expires_in %v before, want the default 900", got)
	}

	set(t, a, root.Access, "access_token_ttl", "90s")
	onBoth(t, a, b, "access_token_ttl", func(s *apptest.Server) bool {
		return login(t, s, "ttl@example.com")["token"].(map[string]any)["expires_in"] == 90.0
	})

	setGraphQL(t, a, root.Access, "refresh_token_ttl", "2h")
	sessionLength := func(s *apptest.Server) time.Duration {
		access := login(t, s, "ttl@example.com")["token"].(map[string]any)["access_token"].(string)
		var sessions []map[string]any
		if err := json.Unmarshal(s.Do(t, http.MethodGet, "/api/v1/auth/sessions", nil, access).Body, &sessions); err != nil {
			t.Fatal(err)
		}
		for _, m := range sessions {
			if m["current"] == true {
				created, _ := time.Parse(timefmt.Layout, m["created"].(string))
				expires, _ := time.Parse(timefmt.Layout, m["expires_at"].(string))
				return expires.Sub(created)
			}
		}
		t.Fatal("no current session")
		return 0
	}
	onBoth(t, a, b, "refresh_token_ttl", func(s *apptest.Server) bool { return sessionLength(s) == 2*time.Hour })
}

func TestLivePasswordPolicy(t *testing.T) {
	a, b := apptest.Start(t), apptest.Start(t)
	root := admin(t, a)
	register := func(s *apptest.Server, email, pw string) *apptest.Response {
		return s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "password": pw, "password_confirm": pw}, "")
	}
	tooShort := func(s *apptest.Server) bool {
		r := register(s, "short@example.com", "abcd1234")
		return r.Status == http.StatusUnprocessableEntity && bytes.Contains(r.Body, []byte(`"must be 12 to 100 characters"`))
	}

	setGraphQL(t, a, root.Access, "password_min_length", 12)
	onBoth(t, a, b, "password_min_length", tooShort)
	apptest.ExpectError(t, register(b, "short@example.com", "abcd1234"), http.StatusUnprocessableEntity, "validation failed",
		"password: must be 12 to 100 characters", map[string]string{"password": "must be 12 to 100 characters"})
	r, _ := b.GraphQL(t, `mutation { register(email: "short@example.com", password: "abcd1234", password_confirm: "abcd1234") { user { email } } }`, nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": "password: must be 12 to 100 characters", "path": []any{"register"}, "locations": loc(1, 12),
		"extensions": map[string]any{"code": "BAD_USER_INPUT", "fields": map[string]any{"password": "must be 12 to 100 characters"}}}}})

	// Today's rule (a letter and a digit) is the default; off, letters alone do.
	apptest.ExpectError(t, register(b, "letters@example.com", "onlylettershere"), http.StatusUnprocessableEntity, "validation failed",
		"password: must contain a letter and a digit", map[string]string{"password": "must contain a letter and a digit"})
	set(t, a, root.Access, "password_require_letter_and_digit", false)
	n := 0
	onBoth(t, a, b, "password_require_letter_and_digit", func(s *apptest.Server) bool {
		n++
		return register(s, fmt.Sprintf("letters%d@example.com", n), "onlylettershere").Status == http.StatusCreated
	})
}

func TestLiveCORSOrigins(t *testing.T) {
	a, b := apptest.Start(t), apptest.Start(t)
	root := admin(t, a)
	preflight := func(s *apptest.Server, origin string) *apptest.Response {
		return s.Do(t, http.MethodOptions, "/api/v1/settings", nil, "", "Origin", origin, "Access-Control-Request-Method", "POST")
	}
	if r := preflight(b, "https://app.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("an origin allowed by default: %v", r.Header)
	}

	set(t, a, root.Access, "cors_origins", []string{"https://app.example"})
	onBoth(t, a, b, "cors_origins", func(s *apptest.Server) bool {
		return preflight(s, "https://app.example").Header.Get("Access-Control-Allow-Origin") == "https://app.example"
	})
	r := preflight(b, "https://app.example")
	if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("listed origin: %d %v", r.Status, r.Header)
	}
	if r := preflight(b, "https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("an unlisted origin allowed: %v", r.Header)
	}

	// "*": any page, without credentials, as CORS_ORIGINS=* does.
	setGraphQL(t, a, root.Access, "cors_origins", []string{"*"})
	onBoth(t, a, b, `cors_origins ["*"]`, func(s *apptest.Server) bool {
		return preflight(s, "https://evil.example").Header.Get("Access-Control-Allow-Origin") == "*"
	})
	if r := preflight(b, "https://app.example"); r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("* gives credentials: %v", r.Header)
	}
}

func TestLiveGraphQLLimits(t *testing.T) {
	a, b := apptest.Start(t), apptest.Start(t)
	root := admin(t, a)
	refused := func(s *apptest.Server, query, message, code string) bool {
		_, body := s.GraphQL(t, query, nil, root.Access)
		return apptest.Diff(body, map[string]any{"errors": []any{map[string]any{"message": message, "extensions": map[string]any{"code": code}}}}, "$") == ""
	}
	const deep = `{ users { items { id } } }`
	if refused(b, deep, "operation is nested 3 levels deep, more than the limit of 2", "DEPTH_LIMIT_EXCEEDED") {
		t.Fatal("refused before the change")
	}

	set(t, a, root.Access, "graphql_max_depth", 2)
	onBoth(t, a, b, "graphql_max_depth", func(s *apptest.Server) bool {
		return refused(s, deep, "operation is nested 3 levels deep, more than the limit of 2", "DEPTH_LIMIT_EXCEEDED")
	})

	setGraphQL(t, a, root.Access, "graphql_max_complexity", 2)
	onBoth(t, a, b, "graphql_max_complexity", func(s *apptest.Server) bool {
		return refused(s, `{ me { id email } }`, "operation has complexity 3, which exceeds the limit of 2", "COMPLEXITY_LIMIT_EXCEEDED")
	})

	const schema = `{ __schema { queryType { name } } }`
	r, _ := b.GraphQL(t, schema, nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"__schema": map[string]any{"queryType": map[string]any{"name": "Query"}}}})
	set(t, a, root.Access, "graphql_introspection", false)
	onBoth(t, a, b, "graphql_introspection", func(s *apptest.Server) bool {
		return refused(s, schema, "introspection is disabled on this server", "INTROSPECTION_DISABLED")
	})
}

func TestLiveEventsRetention(t *testing.T) {
	a, b := apptest.Start(t), apptest.Start(t)
	root := admin(t, a)
	openCollection(t, a, root.Access, "kept")
	if r := a.Do(t, http.MethodPost, "/api/v1/collections/kept/records", map[string]any{"data": map[string]any{"title": "old"}}, root.Access); r.Status != http.StatusCreated {
		t.Fatalf("insert: %d %s", r.Status, r.Body)
	}
	events := func() int {
		var n int
		if err := a.DB(t).QueryRow(`SELECT count(*) FROM events WHERE collection = 'kept'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if events() != 1 {
		t.Fatalf("%d events, want 1", events())
	}
	time.Sleep(1100 * time.Millisecond)

	// Both instances prune when the retention changes (the deletes are
	// idempotent), so the log empties within a second.
	set(t, a, root.Access, "events_retention", "1s")
	start := time.Now()
	apptest.WaitFor(t, "pruned", func() bool { return events() == 0 })
	t.Logf("events older than the new retention were pruned after %v", time.Since(start))
	apptest.WaitFor(t, "events_retention on the second instance", func() bool {
		return bytes.Contains(b.Do(t, http.MethodGet, "/api/v1/settings/app", nil, root.Access).Body, []byte(`"events_retention":{"value":"1s"`))
	})
}

// Explicit environment values win over stored ones, are listed as such and
// cannot be changed through the API.
func TestEnvironmentPinsSettings(t *testing.T) {
	b := apptest.Start(t)
	root := admin(t, b)
	user(t, b, "pinned@example.com")
	set(t, b, root.Access, "access_token_ttl", "90s")

	a := apptest.Start(t, func(c *config.Config, _ *app.Options) {
		env, err := config.Load(nil, func(k string) string {
			return map[string]string{"ACCESS_TOKEN_TTL": "1h", "GRAPHQL_INTROSPECTION": "false"}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		c.AccessTokenTTL, c.GraphQL.Introspection, c.FromEnv = env.AccessTokenTTL, env.GraphQL.Introspection, env.FromEnv
	})
	apptest.ExpectJSON(t, a.Do(t, http.MethodGet, "/api/v1/settings", nil, root.Access), http.StatusOK, listing(map[string]map[string]any{
		"access_token_ttl":      known("access_token_ttl", "1h", "environment"),
		"graphql_introspection": known("graphql_introspection", false, "environment"),
	}))
	if got := login(t, a, "pinned@example.com")["token"].(map[string]any)["expires_in"]; got != 3600.0 {
		t.Fatalf("expires_in %v on the pinned instance, want 3600", got)
	}
	if got := login(t, b, "pinned@example.com")["token"].(map[string]any)["expires_in"]; got != 90.0 {
		t.Fatalf("expires_in %v on the other instance, want the stored 90", got)
	}
	const why = "graphql_introspection is set by the environment variable GRAPHQL_INTROSPECTION, which wins over a stored value: change it there"
	apptest.ExpectError(t, a.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "graphql_introspection", "value": true}, root.Access),
		http.StatusConflict, "conflict", why, nil)
	r, _ := a.GraphQL(t, `mutation { set_setting(key: "graphql_introspection", value: true) { key } }`, nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": why, "path": []any{"set_setting"}, "locations": loc(1, 12), "extensions": map[string]any{"code": "CONFLICT"}}}})
}
