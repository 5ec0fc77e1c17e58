package rest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"fastcms/internal/apptest"
)

// allTypes is a collection with one field of every type, for round trips.
func allTypes(t *testing.T, s *apptest.Server, token string) (name, authorsName string) {
	t.Helper()
	authorsName = newName("people")
	createCollection(t, s, token, map[string]any{"name": authorsName, "schema": []any{field("name", "text")}, "list_rule": "", "view_rule": ""})
	name = newName("everything")
	createCollection(t, s, token, map[string]any{"name": name, "list_rule": "", "view_rule": "", "schema": []any{
		field("title", "text", "validation", map[string]any{"required": true, "min_length": 2, "max_length": 10, "pattern": "[A-Za-z ]+"}),
		field("body", "editor"),
		field("score", "number", "validation", map[string]any{"min": 0, "max": 10}),
		field("done", "bool"),
		field("mail", "email", "validation", map[string]any{"unique": true}),
		field("site", "url"),
		field("day", "date"),
		field("at", "datetime"),
		field("color", "select", "select", map[string]any{"values": []any{"red", "green"}}),
		field("tags", "select", "select", map[string]any{"values": []any{"a", "b", "c"}, "max_select": 2}),
		field("author", "relation", "relation", map[string]any{"collection": authorsName}),
		field("readers", "relation", "relation", map[string]any{"collection": authorsName, "max_select": 3}),
		field("file", "file"),
		field("meta", "json"),
	}})
	return name, authorsName
}

func TestRecordFieldTypesRoundTrip(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name, people := allTypes(t, s, root.Access)
	ann := s.Do(t, http.MethodPost, "/api/v1/collections/"+people+"/records", map[string]any{"data": map[string]any{"name": "Ann"}}, root.Access).JSON(t)["id"].(string)
	bob := s.Do(t, http.MethodPost, "/api/v1/collections/"+people+"/records", map[string]any{"data": map[string]any{"name": "Bob"}}, root.Access).JSON(t)["id"].(string)

	data := map[string]any{"title": "Hello", "body": "<p>hi ☃</p>", "score": 2.5, "done": true, "mail": "a@b.io", "site": "https://x.io/p?q=1",
		"day": "2026-11-24", "at": "2026-11-24T10:00:00.123+01:00", "color": "red", "tags": []any{"b", "a", "b"}, "author": ann,
		"readers": []any{bob, ann}, "file": uploadedFile(t, s, root.Access, "f1.txt"), "meta": map[string]any{"k": []any{1.0, "two", nil}}}
	r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": data}, root.Access)
	want := map[string]any{}
	for k, v := range data {
		want[k] = v
	}
	want["at"], want["tags"] = "2026-11-24T09:00:00.123Z", []any{"b", "a"}
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID, "data": want, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	id := r.JSON(t)["id"].(string)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records/"+id, nil, ""), http.StatusOK,
		map[string]any{"id": id, "data": want, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})

	// A minimal record: absent fields are null, lists empty.
	r = s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": map[string]any{"title": "Min"}}, root.Access)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID, "data": map[string]any{"title": "Min", "body": nil, "score": nil,
		"done": nil, "mail": nil, "site": nil, "day": nil, "at": nil, "color": nil, "tags": []any{}, "author": nil, "readers": []any{}, "file": nil, "meta": nil},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})

	bad := []struct {
		data  map[string]any
		field string
		why   string
	}{
		{map[string]any{}, "title", "is required"},
		{map[string]any{"title": nil}, "title", "is required"},
		{map[string]any{"title": "X"}, "title", "must be at least 2 characters"},
		{map[string]any{"title": "Much too long"}, "title", "must be at most 10 characters"},
		{map[string]any{"title": "Digits 1"}, "title", "does not match the pattern [A-Za-z ]+"},
		{map[string]any{"title": 5}, "title", "must be a string"},
		{map[string]any{"title": "Ok", "score": 11}, "score", "must be at most 10"},
		{map[string]any{"title": "Ok", "score": "3"}, "score", "must be a finite number"},
		{map[string]any{"title": "Ok", "done": "yes"}, "done", "must be true or false"},
		{map[string]any{"title": "Ok", "mail": "nope"}, "mail", "must be a valid email address"},
		{map[string]any{"title": "Ok", "site": "ftp://x"}, "site", "must be an absolute http or https URL"},
		{map[string]any{"title": "Ok", "day": "24/11/2026"}, "day", "must be a date like 2026-11-24"},
		{map[string]any{"title": "Ok", "at": "yesterday"}, "at", "must be an RFC 3339 timestamp"},
		{map[string]any{"title": "Ok", "color": "blue"}, "color", "must be one of red, green"},
		{map[string]any{"title": "Ok", "tags": []any{"a", "b", "c"}}, "tags", "must have at most 2 values"},
		{map[string]any{"title": "Ok", "author": "not-an-id"}, "author", "must be a record id"},
		{map[string]any{"title": "Ok", "author": "00000000-0000-4000-8000-000000000000"}, "author", "related record not found"},
		{map[string]any{"title": "Ok", "readers": []any{"00000000-0000-4000-8000-000000000000"}}, "readers", "related record not found"},
		{map[string]any{"title": "Ok", "nope": 1}, "nope", fmt.Sprintf("is not a field of %s", name)},
		{map[string]any{"title": "Ok", "id": ann}, "id", "is set by the server"},
	}
	for _, c := range bad {
		t.Run(c.field+" "+c.why, func(t *testing.T) {
			r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": c.data}, root.Access)
			apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", c.field+": "+c.why, map[string]string{c.field: c.why})
		})
	}
	t.Run("unique", func(t *testing.T) {
		r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": map[string]any{"title": "Dup", "mail": "a@b.io"}}, root.Access)
		apptest.ExpectError(t, r, http.StatusConflict, "conflict", "mail: value must be unique", map[string]string{"mail": "must be unique"})
	})
	t.Run("missing data", func(t *testing.T) {
		r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{}, root.Access)
		apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "data: must be an object of field values", map[string]string{"data": "must be an object of field values"})
	})
	t.Run("deleting a related record", func(t *testing.T) {
		if r := s.Do(t, http.MethodDelete, "/api/v1/collections/"+people+"/records/"+bob, nil, root.Access); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records/"+id+"?fields=author,readers", nil, root.Access)
		apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": id, "data": map[string]any{"author": ann, "readers": []any{ann}},
			"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	})
}

func TestRecordUpdateAndDelete(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("counters")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "update_rule": "", "delete_rule": "",
		"schema": []any{field("title", "text", "validation", map[string]any{"required": true}), field("views", "number", "validation", map[string]any{"max": 1000})}})
	r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": map[string]any{"title": "a", "views": 0}}, root.Access)
	id := r.JSON(t)["id"].(string)
	base := "/api/v1/collections/" + name + "/records/" + id

	r = s.Do(t, http.MethodPatch, base, map[string]any{"data": map[string]any{"title": "b"}}, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": id, "data": map[string]any{"title": "b", "views": 0.0}, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	r = s.Do(t, http.MethodPatch, base, map[string]any{"data": map[string]any{"title": nil}}, "")
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "title: is required", map[string]string{"title": "is required"})

	// 50 concurrent increments all count.
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := s.Do(t, http.MethodPatch, base, map[string]any{"data": map[string]any{"views+": 2}}, ""); r.Status != http.StatusOK {
				t.Errorf("increment: %d %s", r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	r = s.Do(t, http.MethodPatch, base, map[string]any{"data": map[string]any{"views-": 1}}, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": id, "data": map[string]any{"title": "b", "views": 99.0}, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	r = s.Do(t, http.MethodPatch, base, map[string]any{"data": map[string]any{"views+": 5000}}, "")
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "views: would become 5099, which must be at most 1000",
		map[string]string{"views": "would become 5099, which must be at most 1000"})
	r = s.Do(t, http.MethodPatch, base, map[string]any{"data": map[string]any{"title+": "x"}}, "")
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "title+: only number fields can be incremented, and only in an update",
		map[string]string{"title+": "only number fields can be incremented, and only in an update"})

	missing := "/api/v1/collections/" + name + "/records/00000000-0000-4000-8000-000000000000"
	for _, path := range []string{missing, "/api/v1/collections/" + name + "/records/nope"} {
		apptest.ExpectError(t, s.Do(t, http.MethodGet, path, nil, ""), http.StatusNotFound, "not found", "record not found in "+name, nil)
		apptest.ExpectError(t, s.Do(t, http.MethodPatch, path, map[string]any{"data": map[string]any{}}, ""), http.StatusNotFound, "not found", "record not found in "+name, nil)
		apptest.ExpectError(t, s.Do(t, http.MethodDelete, path, nil, ""), http.StatusNotFound, "not found", "record not found in "+name, nil)
	}
	if r := s.Do(t, http.MethodDelete, base, nil, ""); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, base, nil, ""), http.StatusNotFound, "not found", "record not found in "+name, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/nosuch/records", nil, ""), http.StatusNotFound, "not found", `collection "nosuch" not found`, nil)
}

func TestRecordListFilterSortPage(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	people := newName("writers")
	createCollection(t, s, root.Access, map[string]any{"name": people, "schema": []any{field("name", "text")}, "list_rule": "", "view_rule": ""})
	ann := s.Do(t, http.MethodPost, "/api/v1/collections/"+people+"/records", map[string]any{"data": map[string]any{"name": "Ann"}}, root.Access).JSON(t)["id"].(string)
	name := newName("articles")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "schema": []any{
		field("title", "text"), field("status", "text"), field("views", "number"), field("due", "date"),
		field("tags", "select", "select", map[string]any{"values": []any{"go", "sql", "web"}, "max_select": 3}),
		field("author", "relation", "relation", map[string]any{"collection": people}),
	}})
	rows := []map[string]any{
		{"title": "Go 100%", "status": "published", "views": 10, "tags": []any{"go"}, "author": ann, "due": "2000-01-01"},
		{"title": `He said "hi"`, "status": "draft", "views": 20, "tags": []any{"sql", "web"}, "due": "2999-01-01"},
		{"title": "it's_here", "status": "published", "views": 30, "tags": []any{}},
		{"title": "plain", "status": "published", "views": 40, "author": ann},
	}
	for _, d := range rows {
		if r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": d}, root.Access); r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
	}
	titles := func(q string) []any {
		t.Helper()
		r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?"+q, nil, "")
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
		var out []any
		for _, it := range r.JSON(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["data"].(map[string]any)["title"])
		}
		return out
	}
	enc := url.QueryEscape
	cases := []struct {
		query string
		want  []any
	}{
		{"sort=views", []any{"Go 100%", `He said "hi"`, "it's_here", "plain"}},
		{"sort=-views", []any{"plain", "it's_here", `He said "hi"`, "Go 100%"}},
		{"filter=status=published&sort=views", []any{"Go 100%", "it's_here", "plain"}},
		{"filter=" + enc("views > 10 && views <= 30") + "&sort=views", []any{`He said "hi"`, "it's_here"}},
		{"filter=" + enc("views = 10 || views = 40 && status != 'published'") + "&sort=views", []any{"Go 100%"}},
		{"filter=" + enc("(views = 10 || views = 40) && status = 'published'") + "&sort=views", []any{"Go 100%", "plain"}},
		{"filter=" + enc(`title ~ "100%"`), []any{"Go 100%"}},
		{"filter=" + enc(`title ~ "_"`), []any{"it's_here"}},
		{"filter=" + enc(`title = "He said \"hi\""`), []any{`He said "hi"`}},
		{"filter=" + enc(`title = 'it\'s_here'`), []any{"it's_here"}},
		{"filter=" + enc(`title !~ "e"`) + "&sort=views", []any{"Go 100%", "plain"}},
		{"filter=" + enc(`tags ?= "web"`), []any{`He said "hi"`}},
		{"filter=" + enc(`tags = null`) + "&sort=views", []any{"it's_here", "plain"}},
		{"filter=" + enc(`author.name = "Ann"`) + "&sort=views", []any{"Go 100%", "plain"}},
		{"filter=" + enc(`author = null`) + "&sort=views", []any{`He said "hi"`, "it's_here"}},
		{"filter=" + enc(`due < @today`), []any{"Go 100%"}},
		{"filter=" + enc(`due > @now`), []any{`He said "hi"`}},
		{"filter=" + enc(`created <= @now`) + "&sort=views&per_page=2&page=2", []any{"it's_here", "plain"}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			if d := apptest.Diff(titles(c.query), c.want, "$"); d != "" {
				t.Fatal(d)
			}
		})
	}
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?sort=views&per_page=3&page=2&fields=title", nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": apptest.AnyUUID, "data": map[string]any{"title": "plain"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": 4, "page": 2, "per_page": 3, "total_pages": 2})
	r = s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?skipTotal=true&per_page=1&fields=id", nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": apptest.AnyUUID, "data": map[string]any{},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": -1, "page": 1, "per_page": 1, "total_pages": -1})

	bad := map[string]string{
		"filter=" + enc(`nope = 1`):                          `filter: unknown field "nope" at position 0`,
		"filter=" + enc(`title = "x"; DROP TABLE users; --`): `filter: unexpected ";" at position 11`,
		"filter=" + enc(`title = 'x' || 1=1 --`):             `filter: unexpected "-" at position 19`,
		"filter=" + enc(`"title" = 1`):                       `filter: invalid number "title" at position 0`,
		"filter=" + enc(`(views > 1`):                        `filter: unexpected end of expression at position 10`,
		"sort=" + enc(`title; DROP TABLE users`):             `sort: unknown field "title; DROP TABLE users" (item 1)`,
		"sort=" + enc(`"title"`):                             `sort: unknown field "\"title\"" (item 1)`,
		"fields=" + enc(`title,"x"`):                         `fields: unknown field "\"x\""`,
	}
	for q, msg := range bad {
		t.Run(q, func(t *testing.T) {
			apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?"+q, nil, ""), http.StatusBadRequest, "bad request", msg, nil)
		})
	}
}
