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

// TestSecurity06IncrementsAndHiddenFields: "field+"/"field-" are seen by
// rules as @request.data.<field> (the signed amount), so a rule that bars
// setting a field bars incrementing it too; and non-admins cannot write
// hidden fields at all (they read as unknown fields), so no min/max error
// can echo a hidden value.
func TestSecurity06IncrementsAndHiddenFields(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("writer"))
	name := newName("posts")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text"),
		field("views", "number", "validation", map[string]any{"min": 0, "max": 1000}),
		field("score", "number", "hidden", true, "validation", map[string]any{"max": 100})},
		"list_rule": "", "view_rule": "", "create_rule": "@request.auth.id != ''",
		"update_rule": "@request.auth.id != '' && @request.data.views = null && @request.data.score = null"})
	recs := "/api/v1/collections/" + name + "/records"
	id := addRecord(t, s, name, root.Access, map[string]any{"title": "p", "views": 10, "score": 42})
	refused := fmt.Sprintf("the update rule of %s does not allow this change", name)
	notField := "is not a field of " + name

	for _, data := range []map[string]any{{"views": 999}, {"views+": 500}, {"views-": 1}, {"views+": 0}} {
		apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": data}, user.Access), http.StatusForbidden, "forbidden", refused, nil)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, recs+"/bulk-update", map[string]any{"record_ids": []string{id}, "data": map[string]any{"views+": 500}}, user.Access),
		http.StatusOK, bulkBody(0, 1, id, "not allowed by the update rule"))
	// Hidden fields are unknown to non-admins on every write, as on reads.
	for _, key := range []string{"score", "score+", "score-", "zzz", "zzz+"} {
		want := map[string]string{key: notField}
		body := map[string]any{"data": map[string]any{key: 100}}
		apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+id, body, user.Access), http.StatusUnprocessableEntity, "validation failed", key+": "+notField, want)
		apptest.ExpectError(t, s.Do(t, http.MethodPost, recs+"/bulk-update", map[string]any{"record_ids": []string{id}, "data": body["data"]}, user.Access),
			http.StatusUnprocessableEntity, "validation failed", key+": "+notField, want)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "x", "score": 5}}, user.Access),
		http.StatusUnprocessableEntity, "validation failed", "score: "+notField, map[string]string{"score": notField})
	// A value and an increment of one field in one body is ambiguous.
	twice := "is given more than once"
	apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"views": 1, "views+": 1}}, root.Access),
		http.StatusUnprocessableEntity, "validation failed", "views: "+twice, map[string]string{"views": twice})
	apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"views-": 1, "views+": 1}}, root.Access),
		http.StatusUnprocessableEntity, "validation failed", "views: "+twice, map[string]string{"views": twice})
	// Admins see hidden values anyway.
	apptest.ExpectError(t, s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"score+": 100}}, root.Access),
		http.StatusUnprocessableEntity, "validation failed", "score: would become 142, which must be at most 100", map[string]string{"score": "would become 142, which must be at most 100"})
	// So is a hidden column in a CSV import.
	header := "score: " + notField
	apptest.ExpectJSON(t, csvImport(t, s, name, "title,score\nx,5\n", user.Access), http.StatusUnprocessableEntity,
		csvFailure("validation failed", "the CSV header is invalid ("+header+"); nothing was imported", 1, nil, csvRowError(1, header)))
	expectOldestFirst(t, s, name, root.Access, []any{map[string]any{"title": "p", "views": 10.0, "score": 42.0}})

	// A rule can allow exactly +1 or -1: the amount is signed.
	likes := newName("likes")
	createCollection(t, s, root.Access, map[string]any{"name": likes, "schema": []any{field("n", "number")},
		"list_rule": "", "view_rule": "", "update_rule": "@request.data.n = 1 || @request.data.n = -1"})
	lrecs := "/api/v1/collections/" + likes + "/records"
	lid := addRecord(t, s, likes, root.Access, map[string]any{"n": 5})
	for _, c := range []struct {
		data map[string]any
		code int
	}{{map[string]any{"n+": 1}, 200}, {map[string]any{"n-": 1}, 200}, {map[string]any{"n-": -1}, 200}, {map[string]any{"n+": 2}, 403}, {map[string]any{"n-": 2}, 403}, {map[string]any{}, 403}} {
		if r := s.Do(t, http.MethodPatch, lrecs+"/"+lid, map[string]any{"data": c.data}, user.Access); r.Status != c.code {
			t.Errorf("%v: %d %s, want %d", c.data, r.Status, r.Body, c.code)
		}
	}
	expectOldestFirst(t, s, likes, root.Access, []any{map[string]any{"n": 6.0}})
}

// TestSecurity06RequiredHiddenField: a required hidden field can only be
// given by admins, so others are refused without the field being named.
func TestSecurity06RequiredHiddenField(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("writer"))
	name := newName("secrets")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text"),
		field("code", "text", "hidden", true, "validation", map[string]any{"required": true})}, "create_rule": ""})
	recs := "/api/v1/collections/" + name + "/records"
	body := map[string]any{"data": map[string]any{"title": "x"}}
	apptest.ExpectError(t, s.Do(t, http.MethodPost, recs, body, user.Access), http.StatusForbidden, "forbidden", "only admins may create records of "+name, nil)
	expectUnauthorized(t, s.Do(t, http.MethodPost, recs, body, ""), "authentication required")
	apptest.ExpectError(t, csvImport(t, s, name, "title\nx\n", user.Access), http.StatusForbidden, "forbidden", "only admins may create records of "+name, nil)
	addRecord(t, s, name, root.Access, map[string]any{"title": "x", "code": "c"})
	expectOldestFirst(t, s, name, root.Access, []any{map[string]any{"title": "x", "code": "c"}})
}

// TestSecurity07CSVImportRequestData: an import checks the create rule with
// @request.data meaning what it means in a JSON create, the values given
// for the new record: each row's columns.
func TestSecurity07CSVImportRequestData(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	alice, bob := register(t, s, newEmail("csvalice")), register(t, s, newEmail("csvbob"))
	name := newName("posts")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text"), field("featured", "bool")},
		"list_rule": "", "view_rule": "", "create_rule": "@request.auth.id != '' && @request.data.featured = null"})
	why := "the create rule of " + name + " does not allow this record"

	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": map[string]any{"title": "x", "featured": true}}, alice.Access),
		http.StatusForbidden, "forbidden", why, nil)
	r := csvImport(t, s, name, "title,featured\nsneaky,true\n", alice.Access)
	apptest.ExpectJSON(t, r, http.StatusForbidden, csvFailure("forbidden", "row 2: "+why+"; nothing was imported", 1, nil, csvRowError(2, why)))
	r = csvImport(t, s, name, "title,featured\na,\nb,true\nc,false\nd,\n", alice.Access)
	apptest.ExpectJSON(t, r, http.StatusForbidden, csvFailure("forbidden", "row 3: "+why+"; nothing was imported", 4, nil, csvRowError(3, why), csvRowError(4, why)))
	expectOldestFirst(t, s, name, root.Access, []any{})
	// Rows that leave the field empty, or files without the column, pass.
	apptest.ExpectJSON(t, csvImport(t, s, name, "title,featured\na,\n", alice.Access), http.StatusCreated, map[string]any{"imported": 1, "total": 1, "errors": []any{}})
	apptest.ExpectJSON(t, csvImport(t, s, name, "title\nb\n", alice.Access), http.StatusCreated, map[string]any{"imported": 1, "total": 1, "errors": []any{}})
	apptest.ExpectJSON(t, csvImport(t, s, name, "title\nc\n", ""), http.StatusForbidden, csvFailure("forbidden", "row 2: "+why+"; nothing was imported", 1, nil, csvRowError(2, why)))
	apptest.ExpectJSON(t, csvImport(t, s, name, "title,featured\nadmin,true\n", root.Access), http.StatusCreated, map[string]any{"imported": 1, "total": 1, "errors": []any{}})
	expectOldestFirst(t, s, name, root.Access, []any{map[string]any{"title": "a", "featured": nil}, map[string]any{"title": "b", "featured": nil},
		map[string]any{"title": "admin", "featured": true}})

	// A rule that requires a value: each row's own column is the value.
	owned := newName("owned")
	createCollection(t, s, root.Access, map[string]any{"name": owned, "schema": []any{field("owner", "text"), field("body", "text")},
		"list_rule": "", "view_rule": "", "create_rule": "@request.data.owner = @request.auth.id"})
	whyOwned := "the create rule of " + owned + " does not allow this record"
	apptest.ExpectJSON(t, csvImport(t, s, owned, "owner,body\n"+alice.ID+",a1\n"+alice.ID+",a2\n", alice.Access), http.StatusCreated,
		map[string]any{"imported": 2, "total": 2, "errors": []any{}})
	r = csvImport(t, s, owned, "owner,body\n"+alice.ID+",a3\n"+bob.ID+",forged\n", alice.Access)
	apptest.ExpectJSON(t, r, http.StatusForbidden, csvFailure("forbidden", "row 3: "+whyOwned+"; nothing was imported", 2, nil, csvRowError(3, whyOwned)))
	r = csvImport(t, s, owned, "body\nno owner\n", alice.Access)
	apptest.ExpectJSON(t, r, http.StatusForbidden, csvFailure("forbidden", "row 2: "+whyOwned+"; nothing was imported", 1, nil, csvRowError(2, whyOwned)))
	expectOldestFirst(t, s, owned, root.Access, []any{map[string]any{"owner": alice.ID, "body": "a1"}, map[string]any{"owner": alice.ID, "body": "a2"}})
}
