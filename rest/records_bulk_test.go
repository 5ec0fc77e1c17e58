package rest_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

const missingID = "00000000-0000-4000-8000-000000000000"

// bulkBody is an exact bulk response; errs alternate record id and error.
func bulkBody(success, failed int, errs ...string) map[string]any {
	list := []any{}
	for i := 0; i+1 < len(errs); i += 2 {
		list = append(list, map[string]any{"record_id": errs[i], "error": errs[i+1]})
	}
	return map[string]any{"success": success, "failed": failed, "errors": list}
}

// allData lists the data of the records token may list, by title and age.
func allData(t *testing.T, s *apptest.Server, name, token string) []any {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?sort=title,created&per_page=100", nil, token)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	out := []any{}
	for _, it := range r.JSON(t)["items"].([]any) {
		out = append(out, it.(map[string]any)["data"])
	}
	return out
}

func expectData(t *testing.T, s *apptest.Server, name, token string, want []any) {
	t.Helper()
	if d := apptest.Diff(allData(t, s, name, token), want, "$"); d != "" {
		t.Fatal(d)
	}
}

func TestBulkLimitsAndBodies(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("bulkcheck")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text", "validation", map[string]any{"required": true})},
		"list_rule": "", "view_rule": "", "update_rule": "", "delete_rule": ""})
	id := addRecord(t, s, name, root.Access, map[string]any{"title": "keep"})
	del, upd := "/api/v1/collections/"+name+"/records/bulk-delete", "/api/v1/collections/"+name+"/records/bulk-update"
	const limitMsg = "must list 1 to 100 record ids"

	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	for what, ids := range map[string]any{"none": []string{}, "null": nil, "101": many} {
		t.Run(what, func(t *testing.T) {
			apptest.ExpectError(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": ids}, root.Access),
				http.StatusUnprocessableEntity, "validation failed", "record_ids: "+limitMsg, map[string]string{"record_ids": limitMsg})
			apptest.ExpectError(t, s.Do(t, http.MethodPost, upd, map[string]any{"record_ids": ids, "data": map[string]any{"title": "x"}}, root.Access),
				http.StatusUnprocessableEntity, "validation failed", "record_ids: "+limitMsg, map[string]string{"record_ids": limitMsg})
		})
	}
	// 101 entries are too many even when they repeat one id.
	same := make([]string, 101)
	for i := range same {
		same[i] = id
	}
	apptest.ExpectError(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": same}, root.Access),
		http.StatusUnprocessableEntity, "validation failed", "record_ids: "+limitMsg, map[string]string{"record_ids": limitMsg})
	// Both problems at once are both named.
	apptest.ExpectError(t, s.Do(t, http.MethodPost, upd, map[string]any{"record_ids": []string{}}, root.Access),
		http.StatusUnprocessableEntity, "validation failed", "validation failed", map[string]string{"record_ids": limitMsg, "data": "must be an object of field values"})
	apptest.ExpectError(t, s.Do(t, http.MethodPost, upd, map[string]any{"record_ids": []string{id}, "data": map[string]any{"title": nil, "nope": 1}}, root.Access),
		http.StatusUnprocessableEntity, "validation failed", "validation failed", map[string]string{"title": "is required", "nope": fmt.Sprintf("is not a field of %s", name)})
	// Malformed bodies.
	apptest.ExpectError(t, s.Do(t, http.MethodPost, del, map[string]any{"ids": []string{id}}, root.Access), http.StatusBadRequest, "bad request",
		`unknown field "ids"`, map[string]string{"ids": "is not a known field"})
	apptest.ExpectError(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": []any{1}}, root.Access), http.StatusUnprocessableEntity, "validation failed",
		"record_ids: must be a string", map[string]string{"record_ids": "must be a string"})
	apptest.ExpectError(t, s.Do(t, http.MethodPost, del, "{", root.Access), http.StatusBadRequest, "bad request", "malformed JSON: unexpected end of input", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/collections/nosuch/records/bulk-delete", map[string]any{"record_ids": []string{id}}, root.Access),
		http.StatusNotFound, "not found", `collection "nosuch" not found`, nil)

	// Exactly 100 ids is allowed: the 99 unknown ones are reported, in order.
	hundred := append([]string{id}, many[:99]...)
	var errs []string
	for _, m := range many[:99] {
		errs = append(errs, m, "record not found")
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, upd, map[string]any{"record_ids": hundred, "data": map[string]any{"title": "kept"}}, root.Access),
		http.StatusOK, bulkBody(1, 99, errs...))
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": hundred}, root.Access), http.StatusOK, bulkBody(1, 99, errs...))
	expectData(t, s, name, root.Access, []any{})
}

// A mix of ids: own records go, a visible record of another user is refused
// by the delete rule, and missing, hidden and malformed ids read alike.
// Repeats (in any case) count once.
func TestBulkDeleteRulesAndPartialFailure(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	alice, bob := register(t, s, newEmail("alice")), register(t, s, newEmail("bob"))
	name := newName("board")
	visible := "public = true || owner = @request.auth.id"
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text"), field("owner", "text"), field("public", "bool")},
		"list_rule": visible, "view_rule": visible, "delete_rule": "owner = @request.auth.id", "create_rule": "@request.data.owner = @request.auth.id"})
	a1 := addRecord(t, s, name, alice.Access, map[string]any{"title": "a1", "owner": alice.ID})
	a2 := addRecord(t, s, name, alice.Access, map[string]any{"title": "a2", "owner": alice.ID})
	a3 := addRecord(t, s, name, alice.Access, map[string]any{"title": "a3", "owner": alice.ID, "public": true})
	b1 := addRecord(t, s, name, bob.Access, map[string]any{"title": "b1", "owner": bob.ID, "public": true})
	b2 := addRecord(t, s, name, bob.Access, map[string]any{"title": "b2", "owner": bob.ID})
	del := "/api/v1/collections/" + name + "/records/bulk-delete"
	const notFound, refused = "record not found", "not allowed by the delete rule"

	ids := []string{a1, missingID, b1, b2, "nope", strings.ToUpper(a1), a2, "nope", ""}
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": ids}, alice.Access), http.StatusOK,
		bulkBody(2, 5, missingID, notFound, b1, refused, b2, notFound, "nope", notFound, "", notFound))
	row := func(title, owner string, public any) map[string]any {
		return map[string]any{"title": title, "owner": owner, "public": public}
	}
	expectData(t, s, name, root.Access, []any{row("a3", alice.ID, true), row("b1", bob.ID, true), row("b2", bob.ID, nil)})

	// Deleted ids are now missing; anonymous callers see only public records
	// and own none.
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": []string{a1, a3, b1, b2}}, ""), http.StatusOK,
		bulkBody(0, 4, a1, notFound, a3, refused, b1, refused, b2, notFound))
	// Uppercase ids work; the error echoes the id as sent.
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": []string{strings.ToUpper(b2), a3}}, bob.Access), http.StatusOK,
		bulkBody(1, 1, a3, refused))
	// Admins bypass the rules.
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": []string{a3, b1, b2}}, root.Access), http.StatusOK,
		bulkBody(2, 1, b2, notFound))
	expectData(t, s, name, root.Access, []any{})
}

// An admins-only rule shuts other callers out of the whole call, as on the
// single-record routes, and nothing changes.
func TestBulkAdminOnlyRules(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("plain"))
	name := newName("locked")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": ""})
	id := addRecord(t, s, name, root.Access, map[string]any{"title": "x"})
	del, upd := "/api/v1/collections/"+name+"/records/bulk-delete", "/api/v1/collections/"+name+"/records/bulk-update"
	body := map[string]any{"record_ids": []string{id}, "data": map[string]any{"title": "y"}}

	apptest.ExpectError(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": []string{id}}, user.Access), http.StatusForbidden, "forbidden",
		fmt.Sprintf("only admins may delete records of %s", name), nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": []string{id}}, ""), http.StatusUnauthorized, "unauthorized", "authentication required", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, upd, body, user.Access), http.StatusForbidden, "forbidden",
		fmt.Sprintf("only admins may update records of %s", name), nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, upd, body, ""), http.StatusUnauthorized, "unauthorized", "authentication required", nil)
	expectData(t, s, name, root.Access, []any{map[string]any{"title": "x"}})

	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, upd, body, root.Access), http.StatusOK, bulkBody(1, 0))
	expectData(t, s, name, root.Access, []any{map[string]any{"title": "y"}})
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, del, map[string]any{"record_ids": []string{id}}, root.Access), http.StatusOK, bulkBody(1, 0))
}

func TestBulkUpdate(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	alice, bob := register(t, s, newEmail("alice")), register(t, s, newEmail("bob"))
	name := newName("tally")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "owner != 'nobody'",
		"update_rule": "owner = @request.auth.id", "create_rule": "",
		"schema": []any{
			field("title", "text", "validation", map[string]any{"required": true}),
			field("views", "number", "validation", map[string]any{"min": 0, "max": 100}),
			field("mail", "email", "validation", map[string]any{"unique": true}),
			field("owner", "text"),
		}})
	a1 := addRecord(t, s, name, alice.Access, map[string]any{"title": "a1", "views": 10, "owner": alice.ID})
	a2 := addRecord(t, s, name, alice.Access, map[string]any{"title": "a2", "owner": alice.ID})
	a3 := addRecord(t, s, name, alice.Access, map[string]any{"title": "a3", "views": 95, "owner": alice.ID})
	b1 := addRecord(t, s, name, bob.Access, map[string]any{"title": "b1", "views": 1, "owner": bob.ID})
	hid := addRecord(t, s, name, bob.Access, map[string]any{"title": "hidden", "views": 1, "owner": "nobody"})
	upd := "/api/v1/collections/" + name + "/records/bulk-update"
	row := func(title string, views any, mail any, owner string) map[string]any {
		return map[string]any{"title": title, "views": views, "mail": mail, "owner": owner}
	}
	// state is every record in creation order; the list sorts it by title.
	state := []map[string]any{row("a1", 10, nil, alice.ID), row("a2", nil, nil, alice.ID), row("a3", 95, nil, alice.ID), row("b1", 1, nil, bob.ID), row("hidden", 1, nil, "nobody")}
	expectState := func() {
		t.Helper()
		want := slices.Clone(state)
		slices.SortStableFunc(want, func(a, b map[string]any) int { return strings.Compare(a["title"].(string), b["title"].(string)) })
		list := make([]any, len(want))
		for i, w := range want {
			list[i] = w
		}
		expectData(t, s, name, root.Access, list)
	}
	expectState()
	call := func(token string, ids []string, data map[string]any) *apptest.Response {
		return s.Do(t, http.MethodPost, upd, map[string]any{"record_ids": ids, "data": data}, token)
	}

	// Increments run in SQL (null counts as 0); a repeated id counts once;
	// a visible record of bob's is refused, a hidden one is not found.
	r := call(alice.Access, []string{a1, a2, a1, b1, hid, missingID, "nope"}, map[string]any{"views+": 5})
	apptest.ExpectJSON(t, r, http.StatusOK, bulkBody(2, 4, b1, "not allowed by the update rule", hid, "record not found", missingID, "record not found", "nope", "record not found"))
	state[0], state[1] = row("a1", 15, nil, alice.ID), row("a2", 5, nil, alice.ID)
	expectState()
	r = call(alice.Access, []string{a1, a2}, map[string]any{"views-": 5, "title": "same"})
	apptest.ExpectJSON(t, r, http.StatusOK, bulkBody(2, 0))
	state[0], state[1] = row("same", 10, nil, alice.ID), row("same", 0, nil, alice.ID)
	expectState()

	// An increment past the max on any record undoes the whole update.
	r = call(alice.Access, []string{a1, a3}, map[string]any{"views+": 10})
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "views: would become 105 in record "+a3+", which must be at most 100",
		map[string]string{"views": "would become 105 in record " + a3 + ", which must be at most 100"})
	expectState()
	// So does invalid data, checked as a PATCH checks it.
	for _, c := range []struct {
		data  map[string]any
		field string
		why   string
	}{
		{map[string]any{"title": nil}, "title", "is required"},
		{map[string]any{"views": 101}, "views", "must be at most 100"},
		{map[string]any{"views": "1"}, "views", "must be a finite number"},
		{map[string]any{"mail": "nope"}, "mail", "must be a valid email address"},
		{map[string]any{"title+": 1}, "title+", "only number fields can be incremented, and only in an update"},
		{map[string]any{"views+": "x"}, "views+", "must be a finite number"},
		{map[string]any{"id": a1}, "id", "is set by the server"},
	} {
		apptest.ExpectError(t, call(alice.Access, []string{a1, a2}, c.data), http.StatusUnprocessableEntity, "validation failed", c.field+": "+c.why, map[string]string{c.field: c.why})
	}
	// A unique value for two records conflicts; nothing changes.
	r = call(alice.Access, []string{a1, a2}, map[string]any{"mail": "x@y.io"})
	apptest.ExpectError(t, r, http.StatusConflict, "conflict", "mail: value must be unique", map[string]string{"mail": "must be unique"})
	expectState()
	// For one record it is fine.
	apptest.ExpectJSON(t, call(alice.Access, []string{a2, b1}, map[string]any{"mail": "x@y.io"}), http.StatusOK, bulkBody(1, 1, b1, "not allowed by the update rule"))
	state[1] = row("same", 0, "x@y.io", alice.ID)
	expectState()

	// The update rule judges the records as they were: alice may hand a1 to bob.
	apptest.ExpectJSON(t, call(alice.Access, []string{a1}, map[string]any{"owner": bob.ID}), http.StatusOK, bulkBody(1, 0))
	state[0] = row("same", 10, nil, bob.ID)
	expectState()
	// Anonymous callers own nothing; empty data only touches "updated".
	apptest.ExpectJSON(t, call("", []string{a1, a2, hid}, map[string]any{}), http.StatusOK,
		bulkBody(0, 3, a1, "not allowed by the update rule", a2, "not allowed by the update rule", hid, "record not found"))
	// Admins bypass the rules and see every record.
	apptest.ExpectJSON(t, call(root.Access, []string{a1, a2, a3, b1, hid}, map[string]any{"views": 3}), http.StatusOK, bulkBody(5, 0))
	state = []map[string]any{row("same", 3, nil, bob.ID), row("same", 3, "x@y.io", alice.ID), row("a3", 3, nil, alice.ID), row("b1", 3, nil, bob.ID), row("hidden", 3, nil, "nobody")}
	expectState()
}
