package rest_test

import (
	"fmt"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// TestSecurity03WritesHonourViewRule: an update or delete rule broader
// than the view rule must not reach records the view rule hides. They are
// "not found" on the single routes and in bulk calls, and stay unchanged.
func TestSecurity03WritesHonourViewRule(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	alice, bob := register(t, s, newEmail("alice")), register(t, s, newEmail("bob"))
	name := newName("notes")
	owner := "owner = @request.auth.id"
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("owner", "text"), field("body", "text"), field("likes", "number")},
		"list_rule": owner, "view_rule": owner, "create_rule": "", "update_rule": "@request.auth.id != '' && @request.data.body = null",
		"delete_rule": "@request.auth.id != ''"})
	recs := "/api/v1/collections/" + name + "/records"
	bobs := addRecord(t, s, name, root.Access, map[string]any{"owner": bob.ID, "body": "salary of CEO is 900k", "likes": 0})
	alices := addRecord(t, s, name, root.Access, map[string]any{"owner": alice.ID, "body": "mine", "likes": 0})
	notFound := fmt.Sprintf("record not found in %s", name)

	apptest.ExpectError(t, s.Do(t, http.MethodGet, recs+"/"+bobs, nil, alice.Access), http.StatusNotFound, "not found", notFound, nil)
	for _, data := range []map[string]any{{}, {"likes+": 1}, {"likes": 5}} {
		apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+bobs, map[string]any{"data": data}, alice.Access), http.StatusNotFound, "not found", notFound, nil)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, recs+"/"+bobs, nil, alice.Access), http.StatusNotFound, "not found", notFound, nil)

	const missing = "record not found"
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, recs+"/bulk-update", map[string]any{"record_ids": []string{bobs, alices}, "data": map[string]any{"likes+": 1}}, alice.Access),
		http.StatusOK, bulkBody(1, 1, bobs, missing))
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, recs+"/bulk-update", map[string]any{"record_ids": []string{bobs}, "data": map[string]any{}}, alice.Access),
		http.StatusOK, bulkBody(0, 1, bobs, missing))
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, recs+"/bulk-delete", map[string]any{"record_ids": []string{bobs}}, alice.Access),
		http.StatusOK, bulkBody(0, 1, bobs, missing))

	// Bob's note is untouched; alice's own note took her one increment.
	expectOldestFirst(t, s, name, root.Access, []any{
		map[string]any{"owner": bob.ID, "body": "salary of CEO is 900k", "likes": 0.0},
		map[string]any{"owner": alice.ID, "body": "mine", "likes": 1.0},
	})
	// The owner still writes as before.
	r := s.Do(t, http.MethodPatch, recs+"/"+bobs, map[string]any{"data": map[string]any{"likes+": 2}}, bob.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": bobs, "data": map[string]any{"owner": bob.ID, "body": "salary of CEO is 900k", "likes": 2.0},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	if r := s.Do(t, http.MethodDelete, recs+"/"+bobs, nil, bob.Access); r.Status != http.StatusNoContent {
		t.Fatalf("owner delete: %d %s", r.Status, r.Body)
	}
}

// TestSecurity03AdminOnlyViewOpenWrites: with an admins-only view rule and
// open write rules, no other caller can reach a record at all.
func TestSecurity03AdminOnlyViewOpenWrites(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("user"))
	name := newName("inbox")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("body", "text")},
		"create_rule": "", "update_rule": "", "delete_rule": ""})
	recs := "/api/v1/collections/" + name + "/records"
	id := addRecord(t, s, name, root.Access, map[string]any{"body": "secret"})
	notFound := fmt.Sprintf("record not found in %s", name)
	for _, token := range []string{user.Access, ""} {
		apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"body": "x"}}, token), http.StatusNotFound, "not found", notFound, nil)
		apptest.ExpectError(t, s.Do(t, http.MethodDelete, recs+"/"+id, nil, token), http.StatusNotFound, "not found", notFound, nil)
		apptest.ExpectJSON(t, s.Do(t, http.MethodPost, recs+"/bulk-update", map[string]any{"record_ids": []string{id}, "data": map[string]any{"body": "x"}}, token),
			http.StatusOK, bulkBody(0, 1, id, "record not found"))
		apptest.ExpectJSON(t, s.Do(t, http.MethodPost, recs+"/bulk-delete", map[string]any{"record_ids": []string{id}}, token),
			http.StatusOK, bulkBody(0, 1, id, "record not found"))
	}
	expectOldestFirst(t, s, name, root.Access, []any{map[string]any{"body": "secret"}})
}

// expectOldestFirst checks the data of the records token may list, oldest first.
func expectOldestFirst(t *testing.T, s *apptest.Server, name, token string, want []any) {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?per_page=100", nil, token)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	got := []any{}
	for _, it := range r.JSON(t)["items"].([]any) {
		got = append(got, it.(map[string]any)["data"])
	}
	if d := apptest.Diff(got, want, "$"); d != "" {
		t.Fatal(d)
	}
}

// TestSecurity08NullRuleRefusesBeforeValidation: a caller that a null
// (admins-only) rule shuts out gets the rule's 401/403 before their data is
// validated or reaches SQL, so a create cannot probe unique values and no
// error names a field (hidden or not).
func TestSecurity08NullRuleRefusesBeforeValidation(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("prober"))
	name := newName("authors")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("name", "text"),
		field("email", "email", "validation", map[string]any{"unique": true}), field("salary", "number", "hidden", true)}})
	recs := "/api/v1/collections/" + name + "/records"
	id := addRecord(t, s, name, root.Access, map[string]any{"email": "sarah@hidden.example"})
	onlyAdmins := func(act string) string { return fmt.Sprintf("only admins may %s records of %s", act, name) }

	for _, data := range []map[string]any{{"email": "sarah@hidden.example"}, {"zzz": 1, "salary": "x"}, {"email": "nobody@hidden.example"}} {
		body := map[string]any{"data": data}
		expectUnauthorized(t, s.Do(t, http.MethodPost, recs, body, ""), "authentication required")
		apptest.ExpectError(t, s.Do(t, http.MethodPost, recs, body, user.Access), http.StatusForbidden, "forbidden", onlyAdmins("create"), nil)
		// Update with bad data: the record is hidden too, so 404 whatever the data.
		apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+id, body, user.Access), http.StatusNotFound, "not found", "record not found in "+name, nil)
		bulk := map[string]any{"record_ids": []string{}, "data": data}
		apptest.ExpectError(t, s.Do(t, http.MethodPost, recs+"/bulk-update", bulk, user.Access), http.StatusForbidden, "forbidden", onlyAdmins("update"), nil)
		expectUnauthorized(t, s.Do(t, http.MethodPost, recs+"/bulk-update", bulk, ""), "authentication required")
	}
	apptest.ExpectError(t, s.Do(t, http.MethodPost, recs+"/bulk-delete", map[string]any{"record_ids": []string{}}, user.Access), http.StatusForbidden, "forbidden", onlyAdmins("delete"), nil)
	expectUnauthorized(t, s.Do(t, http.MethodPost, recs+"/bulk-delete", map[string]any{"record_ids": []string{}}, ""), "authentication required")
	expectOldestFirst(t, s, name, root.Access, []any{map[string]any{"name": nil, "email": "sarah@hidden.example", "salary": nil}})

	// A visible record with a null update rule: 403 before validation.
	open := newName("shown")
	createCollection(t, s, root.Access, map[string]any{"name": open, "schema": []any{field("title", "text", "validation", map[string]any{"unique": true})},
		"list_rule": "", "view_rule": ""})
	orecs := "/api/v1/collections/" + open + "/records"
	oid := addRecord(t, s, open, root.Access, map[string]any{"title": "taken"})
	addRecord(t, s, open, root.Access, map[string]any{"title": "other"})
	for _, data := range []map[string]any{{"zzz": 1}, {"title": "other"}, {"title+": 1}} {
		apptest.ExpectError(t, s.Do(t, http.MethodPatch, orecs+"/"+oid, map[string]any{"data": data}, user.Access), http.StatusForbidden, "forbidden",
			fmt.Sprintf("only admins may update records of %s", open), nil)
		expectUnauthorized(t, s.Do(t, http.MethodPatch, orecs+"/"+oid, map[string]any{"data": data}, ""), "authentication required")
	}
}
