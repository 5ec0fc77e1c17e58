package rest_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

var collSeq atomic.Int64

// newName is a collection name unique within the package's database.
func newName(prefix string) string { return fmt.Sprintf("%s_%d", prefix, collSeq.Add(1)) }

func createCollection(t *testing.T, s *apptest.Server, token string, body map[string]any) map[string]any {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/collections", body, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)
}

func field(name, typ string, extra ...any) map[string]any {
	f := map[string]any{"name": name, "type": typ}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i].(string)] = extra[i+1]
	}
	return f
}

// fieldOut is a field as the API renders it.
func fieldOut(name, typ string, extra ...any) map[string]any {
	f := map[string]any{"name": name, "type": typ, "validation": map[string]any{"required": false, "unique": false}, "hidden": false}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i].(string)] = extra[i+1]
	}
	return f
}

func TestCollectionCRUD(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("colluser"))
	name := newName("notes")
	body := map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": ""}

	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/collections", body, user.Access), http.StatusForbidden, "forbidden", "admin access required", nil)
	expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/collections", body, ""), "authentication required")

	r := s.Do(t, http.MethodPost, "/api/v1/collections", body, root.Access)
	want := map[string]any{"id": apptest.AnyUUID, "name": name, "type": "base", "schema": []any{fieldOut("title", "text")},
		"list_rule": "", "view_rule": "", "create_rule": nil, "update_rule": nil, "delete_rule": nil, "options": map[string]any{},
		"created": apptest.AnyTime, "updated": apptest.AnyTime}
	apptest.ExpectJSON(t, r, http.StatusCreated, want)
	id := r.JSON(t)["id"].(string)
	want["id"] = id

	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/collections", body, root.Access), http.StatusConflict, "conflict",
		fmt.Sprintf("a collection named %q already exists", name), nil)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, root.Access), http.StatusOK, want)
	// Users read it without the rules (TestSecurity18CollectionDefinitionsRedacted).
	redacted := map[string]any{}
	for k, v := range want {
		redacted[k] = v
	}
	redacted["list_rule"], redacted["view_rule"] = nil, nil
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, user.Access), http.StatusOK, redacted)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+id, nil, user.Access), http.StatusOK, redacted)
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, ""), "authentication required")

	// Update: rename, add a field, set a rule.
	newN := newName("memos")
	r = s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, map[string]any{"name": newN,
		"schema": []any{field("title", "text"), field("body", "editor")}, "create_rule": "@request.auth.id != ''"}, root.Access)
	want["name"], want["create_rule"] = newN, "@request.auth.id != ''"
	want["schema"] = []any{fieldOut("title", "text"), fieldOut("body", "editor")}
	apptest.ExpectJSON(t, r, http.StatusOK, want)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, root.Access), http.StatusNotFound, "not found",
		fmt.Sprintf("collection %q not found", name), nil)
	// A PATCH without a rule keeps it; null sets it to admins only.
	r = s.Do(t, http.MethodPatch, "/api/v1/collections/"+newN, map[string]any{"list_rule": nil}, root.Access)
	want["list_rule"] = nil
	apptest.ExpectJSON(t, r, http.StatusOK, want)

	if r := s.Do(t, http.MethodDelete, "/api/v1/collections/"+newN, nil, user.Access); r.Status != http.StatusForbidden {
		t.Fatalf("user delete: %d", r.Status)
	}
	if r := s.Do(t, http.MethodDelete, "/api/v1/collections/"+newN, nil, root.Access); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+id, nil, root.Access), http.StatusNotFound, "not found",
		fmt.Sprintf("collection %q not found", id), nil)
	var tables int
	if err := s.DB(t).QueryRow("SELECT count(*) FROM pg_tables WHERE schemaname = 'data' AND tablename = ?", newN).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("table still there: %d %v", tables, err)
	}
}

func TestCollectionValidation(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	cases := []struct {
		name   string
		body   map[string]any
		fields map[string]string
	}{
		{"bad name", map[string]any{"name": "1abc"}, map[string]string{"name": "must start with a letter and hold only letters, digits and underscores (at most 63)"}},
		{"injection name", map[string]any{"name": `x"; DROP TABLE users; --`}, map[string]string{"name": "must start with a letter and hold only letters, digits and underscores (at most 63)"}},
		{"system table", map[string]any{"name": "users"}, map[string]string{"name": "is reserved"}},
		{"graphql word", map[string]any{"name": "Query"}, map[string]string{"name": "is reserved"}},
		{"reserved field", map[string]any{"name": newName("c"), "schema": []any{field("id", "text")}}, map[string]string{"schema[0].name": "is reserved"}},
		{"duplicate field", map[string]any{"name": newName("c"), "schema": []any{field("a", "text"), field("A", "number")}}, map[string]string{"schema[1].name": "is used by another field"}},
		{"unknown type", map[string]any{"name": newName("c"), "schema": []any{field("a", "money")}},
			map[string]string{"schema[0].type": "must be one of text, editor, number, bool, email, url, date, datetime, select, relation, file, json"}},
		{"select without values", map[string]any{"name": newName("c"), "schema": []any{field("s", "select")}}, map[string]string{"schema[0].select.values": "must list the allowed values"}},
		{"relation to nowhere", map[string]any{"name": newName("c"), "schema": []any{field("r", "relation", "relation", map[string]any{"collection": "nowhere"})}},
			map[string]string{"schema[0].relation.collection": `no collection "nowhere"`}},
		{"bad pattern", map[string]any{"name": newName("c"), "schema": []any{field("p", "text", "validation", map[string]any{"pattern": "("})}},
			map[string]string{"schema[0].validation": "pattern is not a valid regular expression: error parsing regexp: missing closing ): `^(?:()$`"}},
		{"rule with unknown field", map[string]any{"name": newName("c"), "schema": []any{field("a", "text")}, "list_rule": "b = 1"},
			map[string]string{"list_rule": `unknown field "b" at position 0`}},
		{"rule syntax", map[string]any{"name": newName("c"), "list_rule": "(a = 1"}, map[string]string{"list_rule": "unexpected end of expression at position 6"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, http.MethodPost, "/api/v1/collections", c.body, root.Access)
			msg := "validation failed"
			if len(c.fields) == 1 {
				for f, why := range c.fields {
					msg = f + ": " + why
				}
			}
			apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", msg, c.fields)
		})
	}
}

// A change whose DDL fails (a unique index over duplicate values) leaves
// the table, its rows and the definition exactly as they were.
func TestFailedSchemaChangeChangesNothing(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("dups")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text"), field("n", "number")}, "list_rule": ""})
	for _, title := range []string{"same", "same", "other"} {
		if r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": map[string]any{"title": title, "n": 1}}, root.Access); r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
	}
	before := s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, root.Access)
	rowsBefore := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records", nil, root.Access)

	r := s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, map[string]any{"schema": []any{
		field("title", "text", "validation", map[string]any{"unique": true}), field("n", "number"), field("extra", "bool")}}, root.Access)
	apptest.ExpectError(t, r, http.StatusConflict, "conflict", `field "title" has duplicate values, so it cannot be unique`, nil)

	r = s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, map[string]any{"schema": []any{field("title", "number"), field("n", "number")}}, root.Access)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed",
		`title: existing values cannot be converted: invalid input syntax for type double precision: "same"`,
		map[string]string{"title": `existing values cannot be converted: invalid input syntax for type double precision: "same"`})

	if after := s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, root.Access); string(after.Body) != string(before.Body) {
		t.Fatalf("definition changed:\n%s\n%s", before.Body, after.Body)
	}
	if rowsAfter := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records", nil, root.Access); string(rowsAfter.Body) != string(rowsBefore.Body) {
		t.Fatalf("rows changed:\n%s\n%s", rowsBefore.Body, rowsAfter.Body)
	}
	var cols int // id, created, updated, title, n and the search column _search
	if err := s.DB(t).QueryRow("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'data' AND table_name = ?", name).Scan(&cols); err != nil || cols != 6 {
		t.Fatalf("columns: %d %v", cols, err)
	}
}

// Schema changes on a table holding rows keep the rows: renames keep data,
// new fields start empty, dropped fields go, allowed retypes convert.
func TestSchemaChangesKeepRows(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("evolve")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "",
		"schema": []any{field("title", "text"), field("count", "number"), field("gone", "bool"), field("tag", "select", "select", map[string]any{"values": []any{"x", "y"}})}})
	r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": map[string]any{"title": "keep me", "count": 7, "gone": true, "tag": "x"}}, root.Access)
	id := r.JSON(t)["id"].(string)

	r = s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, map[string]any{"schema": []any{
		field("headline", "text", "rename_from", "title"),
		field("count", "text"),
		field("tag", "select", "select", map[string]any{"values": []any{"x", "y"}, "max_select": 2}),
		field("fresh", "json"),
	}}, root.Access)
	if r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records/"+id, nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": id, "data": map[string]any{"headline": "keep me", "count": "7", "tag": []any{"x"}, "fresh": nil},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})

	// Swapping two names keeps each value with its field.
	r = s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, map[string]any{"schema": []any{
		field("count", "text", "rename_from", "headline"), field("headline", "text", "rename_from", "count"),
		field("tag", "select", "select", map[string]any{"values": []any{"x", "y"}, "max_select": 2}), field("fresh", "json"),
	}}, root.Access)
	if r.Status != http.StatusOK {
		t.Fatalf("swap: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records/"+id+"?fields=count,headline", nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": id, "data": map[string]any{"count": "keep me", "headline": "7"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})

	r = s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, map[string]any{"schema": []any{field("count", "json")}}, root.Access)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "schema[0].type: cannot change a text field to json; add a new field instead",
		map[string]string{"schema[0].type": "cannot change a text field to json; add a new field instead"})
}

// A second server on the same database sees a new collection within a
// second, through NOTIFY, without a restart.
func TestSecondInstanceSeesCollectionChanges(t *testing.T) {
	t.Parallel()
	a, b := apptest.Start(t), apptest.Start(t)
	root := admin(t, a)
	name := newName("shared")
	createCollection(t, a, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": ""})
	deadline := time.Now().Add(time.Second)
	for {
		r := b.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records", nil, "")
		if r.Status == http.StatusOK {
			apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{}, "total": 0, "page": 1, "per_page": 20, "total_pages": 0})
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance b does not see %s after 1s: %d %s", name, r.Status, r.Body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDeleteReferencedCollection(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	target, src := newName("target"), newName("source")
	createCollection(t, s, root.Access, map[string]any{"name": target})
	createCollection(t, s, root.Access, map[string]any{"name": src, "schema": []any{field("ref", "relation", "relation", map[string]any{"collection": target})}})
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/collections/"+target, nil, root.Access), http.StatusConflict, "conflict",
		fmt.Sprintf("collection %q is referenced by %s.ref", target, src), nil)
}
