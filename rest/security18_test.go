package rest_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// TestSecurity18CollectionDefinitionsRedacted: a signed-in user reads a
// collection's definition without its rules and hidden fields (a map for
// an attacker); admins read it whole.
func TestSecurity18CollectionDefinitionsRedacted(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("r18"))
	name := newName("r18posts")
	created := createCollection(t, s, root.Access, map[string]any{"name": name,
		"schema":    []any{field("title", "text"), field("score", "number", "hidden", true)},
		"list_rule": "", "view_rule": "", "create_rule": "@request.auth.id != \"\" && @request.data.score = null"})
	full := map[string]any{"id": created["id"], "name": name, "type": "base",
		"schema":    []any{fieldOut("title", "text"), fieldOut("score", "number", "hidden", true)},
		"list_rule": "", "view_rule": "", "create_rule": "@request.auth.id != \"\" && @request.data.score = null",
		"update_rule": nil, "delete_rule": nil, "options": map[string]any{}, "created": apptest.AnyTime, "updated": apptest.AnyTime}
	redacted := map[string]any{"id": created["id"], "name": name, "type": "base", "schema": []any{fieldOut("title", "text")},
		"list_rule": nil, "view_rule": nil, "create_rule": nil, "update_rule": nil, "delete_rule": nil,
		"options": map[string]any{}, "created": apptest.AnyTime, "updated": apptest.AnyTime}

	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, root.Access), http.StatusOK, full)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, user.Access), http.StatusOK, redacted)

	find := func(token string) any {
		r := s.Do(t, http.MethodGet, "/api/v1/collections?per_page=100", nil, token)
		if r.Status != http.StatusOK {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		for _, c := range r.JSON(t)["items"].([]any) {
			if c.(map[string]any)["name"] == name {
				return c
			}
		}
		t.Fatalf("%s not listed: %s", name, r.Body)
		return nil
	}
	if d := apptest.Diff(find(user.Access), redacted, "$"); d != "" {
		t.Fatalf("a user's list entry:\n%s", d)
	}
	if d := apptest.Diff(find(root.Access), full, "$"); d != "" {
		t.Fatalf("an admin's list entry:\n%s", d)
	}
}
