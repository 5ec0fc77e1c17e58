package rest_test

import (
	"fmt"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

func ids(t *testing.T, r *apptest.Response) []any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var out []any
	for _, it := range r.JSON(t)["items"].([]any) {
		out = append(out, it.(map[string]any)["data"].(map[string]any)["title"])
	}
	return out
}

// Owner-only: each user lists, sees, changes and deletes only their own
// records; another's record is a 404, never a 403 that leaks it exists.
func TestRulesOwnerOnly(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	alice, bob := register(t, s, newEmail("alice")), register(t, s, newEmail("bob"))
	name := newName("diary")
	owner := "owner = @request.auth.id"
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text"), field("owner", "text", "hidden", false)},
		"list_rule": owner, "view_rule": owner, "update_rule": owner, "delete_rule": owner,
		"create_rule": "@request.auth.id != '' && @request.data.owner = @request.auth.id"})
	recs := "/api/v1/collections/" + name + "/records"

	create := func(acc account, title, ownerID string) *apptest.Response {
		return s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": title, "owner": ownerID}}, acc.Access)
	}
	aliceRec := create(alice, "alice's", alice.ID).JSON(t)["id"].(string)
	create(bob, "bob's", bob.ID)

	// Create-time check: bob cannot create a record owned by alice; anonymous cannot create.
	apptest.ExpectError(t, create(bob, "forged", alice.ID), http.StatusForbidden, "forbidden", fmt.Sprintf("the create rule of %s does not allow this record", name), nil)
	r := s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "anon", "owner": ""}}, "")
	apptest.ExpectError(t, r, http.StatusForbidden, "forbidden", fmt.Sprintf("the create rule of %s does not allow this record", name), nil)
	if d := apptest.Diff(ids(t, s.Do(t, http.MethodGet, recs+"?sort=title", nil, root.Access)), []any{"alice's", "bob's"}, "$"); d != "" {
		t.Fatalf("a refused create left a row: %s", d)
	}

	if d := apptest.Diff(ids(t, s.Do(t, http.MethodGet, recs, nil, alice.Access)), []any{"alice's"}, "$"); d != "" {
		t.Fatal(d)
	}
	if d := apptest.Diff(ids(t, s.Do(t, http.MethodGet, recs, nil, bob.Access)), []any{"bob's"}, "$"); d != "" {
		t.Fatal(d)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, recs, nil, ""), http.StatusOK, map[string]any{"items": []any{}, "total": 0, "page": 1, "per_page": 20, "total_pages": 0})

	notFound := fmt.Sprintf("record not found in %s", name)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, recs+"/"+aliceRec, nil, bob.Access), http.StatusNotFound, "not found", notFound, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+aliceRec, map[string]any{"data": map[string]any{"title": "mine"}}, bob.Access), http.StatusNotFound, "not found", notFound, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, recs+"/"+aliceRec, nil, bob.Access), http.StatusNotFound, "not found", notFound, nil)

	r = s.Do(t, http.MethodPatch, recs+"/"+aliceRec, map[string]any{"data": map[string]any{"title": "alice's 2"}}, alice.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": aliceRec, "data": map[string]any{"title": "alice's 2", "owner": alice.ID},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	// Admins bypass rules.
	if d := apptest.Diff(ids(t, s.Do(t, http.MethodGet, recs+"?sort=title", nil, root.Access)), []any{"alice's 2", "bob's"}, "$"); d != "" {
		t.Fatal(d)
	}
	if r := s.Do(t, http.MethodDelete, recs+"/"+aliceRec, nil, alice.Access); r.Status != http.StatusNoContent {
		t.Fatalf("owner delete: %d %s", r.Status, r.Body)
	}
}

// Public read, signed-in write, admin-only delete; a visible record the
// update rule refuses is a 403.
func TestRulesPublicReadAndAdminOnly(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("reader"))
	name := newName("news")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text"), field("locked", "bool"), field("secret", "text", "hidden", true)},
		"list_rule": "", "view_rule": "", "create_rule": "@request.auth.id != ''", "update_rule": "locked != true", "delete_rule": nil})
	recs := "/api/v1/collections/" + name + "/records"

	r := s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "hi"}}, "")
	apptest.ExpectError(t, r, http.StatusForbidden, "forbidden", fmt.Sprintf("the create rule of %s does not allow this record", name), nil)
	r = s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "hi", "locked": true}}, user.Access)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID, "data": map[string]any{"title": "hi", "locked": true},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	id := r.JSON(t)["id"].(string)
	// Hidden fields are written by admins and shown to admins only.
	if r := s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"secret": "s3"}}, root.Access); r.Status != http.StatusOK {
		t.Fatalf("admin sets a hidden field: %d %s", r.Status, r.Body)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, recs+"/"+id, nil, ""), http.StatusOK, map[string]any{"id": id, "data": map[string]any{"title": "hi", "locked": true},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, recs+"/"+id, nil, root.Access), http.StatusOK, map[string]any{"id": id, "data": map[string]any{"title": "hi", "locked": true, "secret": "s3"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	apptest.ExpectError(t, s.Do(t, http.MethodGet, recs+"?filter=secret='s3'", nil, user.Access), http.StatusBadRequest, "bad request", `filter: unknown field "secret" at position 0`, nil)

	r = s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"title": "changed"}}, user.Access)
	apptest.ExpectError(t, r, http.StatusForbidden, "forbidden", fmt.Sprintf("the update rule of %s does not allow this change", name), nil)
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, recs+"/"+id, nil, user.Access), http.StatusForbidden, "forbidden", fmt.Sprintf("only admins may delete records of %s", name), nil)
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, recs+"/"+id, nil, ""), http.StatusUnauthorized, "unauthorized", "authentication required", nil)
	if r := s.Do(t, http.MethodDelete, recs+"/"+id, nil, root.Access); r.Status != http.StatusNoContent {
		t.Fatalf("admin delete: %d", r.Status)
	}
}

// With every rule null, only admins reach the records.
func TestRulesAdminOnlyCollection(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("outsider"))
	name := newName("vault")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}})
	recs := "/api/v1/collections/" + name + "/records"
	apptest.ExpectError(t, s.Do(t, http.MethodGet, recs, nil, user.Access), http.StatusForbidden, "forbidden", fmt.Sprintf("only admins may list records of %s", name), nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, recs, nil, ""), http.StatusUnauthorized, "unauthorized", "authentication required", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "x"}}, user.Access), http.StatusForbidden, "forbidden",
		fmt.Sprintf("only admins may create records of %s", name), nil)
	r := s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "x"}}, root.Access)
	id := r.JSON(t)["id"].(string)
	// A record the user may not view is a 404 on every route.
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		var body any
		if m == http.MethodPatch {
			body = map[string]any{"data": map[string]any{}}
		}
		apptest.ExpectError(t, s.Do(t, m, recs+"/"+id, body, user.Access), http.StatusNotFound, "not found", fmt.Sprintf("record not found in %s", name), nil)
	}
	if d := apptest.Diff(ids(t, s.Do(t, http.MethodGet, recs, nil, root.Access)), []any{"x"}, "$"); d != "" {
		t.Fatal(d)
	}
}
