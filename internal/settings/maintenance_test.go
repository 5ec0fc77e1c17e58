package settings_test

import (
	"net/http"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

const maintenanceMessage = "the server is in maintenance mode: writes are paused, reads still work"

// openCollection makes a collection anyone may list and create in.
func openCollection(t *testing.T, s *apptest.Server, token, name string) {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"name": name,
		"schema": []any{map[string]any{"name": "title", "type": "text"}}, "list_rule": "", "view_rule": "", "create_rule": ""}, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
}

// Maintenance mode stops writes of non-admins, REST and GraphQL alike,
// while reads, auth and admins keep working.
func TestMaintenanceMode(t *testing.T) {
	s := apptest.Start(t)
	root := admin(t, s)
	u := user(t, s, "maint@example.com")
	openCollection(t, s, root.Access, "notes")
	set(t, s, root.Access, "maintenance_mode", true)

	for _, token := range []string{u.Access, ""} {
		apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/collections/notes/records", map[string]any{"data": map[string]any{"title": "x"}}, token),
			http.StatusServiceUnavailable, "service unavailable", maintenanceMessage, nil)
		expectMaintenanceGraphQLOn(t, s, token, "notes")
	}
	apptest.ExpectError(t, s.Do(t, http.MethodPatch, "/api/v1/collections/notes/records/00000000-0000-0000-0000-000000000000", map[string]any{"data": map[string]any{"title": "y"}}, u.Access),
		http.StatusServiceUnavailable, "service unavailable", maintenanceMessage, nil)
	// A mutation mixing an account field with a write is refused whole.
	r, _ := s.GraphQL(t, `mutation { update_me(name: "n") { name } insert_notes_one(object: {title: "x"}) { title } }`, nil, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": maintenanceMessage, "extensions": map[string]any{"code": "SERVICE_UNAVAILABLE"}}}})

	// Mutations over a websocket are refused alike.
	ws := dialGraphQL(t, s, u.Access)
	ws.expectResult("1", `mutation { insert_notes_one(object: {title: "ws"}) { title } }`, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": maintenanceMessage, "extensions": map[string]any{"code": "SERVICE_UNAVAILABLE"}}}})
	ws.expectResult("2", `{ notes { title } }`, map[string]any{"data": map[string]any{"notes": []any{}}})

	// Reads work.
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/collections/notes/records", nil, u.Access), http.StatusOK,
		map[string]any{"items": []any{}, "total": 0, "page": 1, "per_page": 20, "total_pages": 0})
	r, _ = s.GraphQL(t, `{ notes { title } }`, nil, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"notes": []any{}}})
	// Auth works, over REST and GraphQL.
	user(t, s, "maint@example.com")
	r, _ = s.GraphQL(t, `mutation { login(email: "maint@example.com", password: "secret123") { user { email } } }`, nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"login": map[string]any{"user": map[string]any{"email": "maint@example.com"}}}})
	r, _ = s.GraphQL(t, `mutation { update_me(name: "Ada") { name } }`, nil, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"update_me": map[string]any{"name": "Ada"}}})
	// Admins write.
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, "/api/v1/collections/notes/records", map[string]any{"data": map[string]any{"title": "by admin"}}, root.Access), http.StatusCreated,
		map[string]any{"id": apptest.AnyUUID, "data": map[string]any{"title": "by admin"}, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	r, _ = s.GraphQL(t, `mutation { insert_notes_one(object: {title: "gql admin"}) { title } }`, nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"insert_notes_one": map[string]any{"title": "gql admin"}}})

	// Off again: users write.
	set(t, s, root.Access, "maintenance_mode", false)
	r, _ = s.GraphQL(t, `mutation { insert_notes_one(object: {title: "x"}) { title } }`, nil, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"insert_notes_one": map[string]any{"title": "x"}}})
}

// A second instance on the same database obeys a change within a second.
func TestSecondInstanceFollowsSettings(t *testing.T) {
	a, b := apptest.Start(t), apptest.Start(t)
	root := admin(t, a)
	u := user(t, a, "second@example.com")
	openCollection(t, a, root.Access, "shared")

	start := time.Now()
	set(t, a, root.Access, "maintenance_mode", true)
	apptest.WaitFor(t, "maintenance on b", func() bool {
		r := b.Do(t, http.MethodPost, "/api/v1/collections/shared/records", map[string]any{"data": map[string]any{"title": "x"}}, u.Access)
		return r.Status == http.StatusServiceUnavailable
	})
	t.Logf("maintenance_mode reached the second instance after %v", time.Since(start))
	expectMaintenanceGraphQLOn(t, b, u.Access, "shared")

	start = time.Now()
	set(t, a, root.Access, "api_rate_limit", 1000)
	apptest.WaitFor(t, "rate limit on b", func() bool {
		return b.Do(t, http.MethodGet, "/api/v1/collections/shared/records", nil, u.Access).Header.Get("X-RateLimit-Limit") == "1000"
	})
	t.Logf("api_rate_limit reached the second instance after %v", time.Since(start))
	apptest.ExpectJSON(t, b.Do(t, http.MethodGet, "/api/v1/settings/security", nil, root.Access), http.StatusOK,
		listing(map[string]map[string]any{"api_rate_limit": entry(1000, descRate, "database", false)})["security"])
}

func expectMaintenanceGraphQLOn(t *testing.T, s *apptest.Server, token, coll string) {
	t.Helper()
	r, _ := s.GraphQL(t, `mutation { insert_`+coll+`_one(object: {title: "x"}) { title } }`, nil, token)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": maintenanceMessage, "extensions": map[string]any{"code": "SERVICE_UNAVAILABLE"}}}})
}
