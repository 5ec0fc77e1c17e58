package rest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/uptrace/bun"

	"fastcms/internal/apptest"
)

// searchTitles lists the titles a search returns, in order, failing on any
// status but 200.
func searchTitles(t *testing.T, s *apptest.Server, name, query, token string) []any {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?"+query, nil, token)
	if r.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", query, r.Status, r.Body)
	}
	out := []any{}
	for _, it := range r.JSON(t)["items"].([]any) {
		out = append(out, it.(map[string]any)["data"].(map[string]any)["title"])
	}
	return out
}

func addRecord(t *testing.T, s *apptest.Server, name, token string, data map[string]any) string {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": data}, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("create record: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

func TestRecordSearch(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("library")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "schema": []any{
		field("title", "text"), field("body", "editor"), field("contact", "email"), field("site", "url"), field("views", "number"),
	}})
	// Created in this order, so the default order (created) differs from
	// the ranking.
	for _, d := range []map[string]any{
		{"title": "Gardening", "body": "<p>Roses, and one search for the perfect soil.</p>", "views": 5},
		{"title": "Search", "body": "<p>A short one.</p>", "views": 50},
		{"title": "Search engines", "body": "<p>How a search engine ranks: search, index, search again.</p>", "views": 500},
		{"title": "Café culture", "body": "<p>The best cafés of Wien are über gemütlich.</p>", "contact": "alice@example.com", "views": 20},
		{"title": "Full text", "body": "<p>Full-text search in PostgreSQL: search the full text of a page.</p>", "site": "https://docs.example.org/fts", "views": 30},
		{"title": "Reversed", "body": "<p>Text that is full of words.</p>", "views": 40},
	} {
		addRecord(t, s, name, root.Access, d)
	}
	enc := url.QueryEscape
	cases := []struct {
		query string
		want  []any
	}{
		// Ranked: the title (weight A) and more hits count; no sort given.
		{"search=search", []any{"Search engines", "Search", "Full text", "Gardening"}},
		// An explicit sort wins over the rank.
		{"search=search&sort=title", []any{"Full text", "Gardening", "Search", "Search engines"}},
		{"search=SEARCH&sort=-views", []any{"Search engines", "Search", "Full text", "Gardening"}},
		// Phrase, exclusion, or.
		{"search=" + enc(`"full text"`) + "&sort=title", []any{"Full text"}},
		{"search=" + enc(`full text`) + "&sort=title", []any{"Full text", "Reversed"}},
		{"search=" + enc(`search -engines`) + "&sort=title", []any{"Full text", "Gardening", "Search"}},
		{"search=" + enc(`roses or gemütlich`) + "&sort=title", []any{"Café culture", "Gardening"}},
		// Accents and case fold both ways.
		{"search=cafe", []any{"Café culture"}},
		{"search=" + enc("CAFÉ"), []any{"Café culture"}},
		{"search=uber", []any{"Café culture"}},
		{"search=gemutlich", []any{"Café culture"}},
		// Email: whole, or its local part; url: its host.
		{"search=" + enc("alice@example.com"), []any{"Café culture"}},
		{"search=alice", []any{"Café culture"}},
		{"search=docs.example.org", []any{"Full text"}},
		// Editor HTML: the tags are not text.
		{"search=p", []any{}},
		// Numbers are not searched; words only in no field match nothing.
		{"search=500", []any{}},
		{"search=nowhere", []any{}},
		// Terms without a word match nothing; blank terms are no search.
		{"search=" + enc("!!! -"), []any{}},
		{"search=" + enc("  ") + "&sort=views", []any{"Gardening", "Café culture", "Full text", "Reversed", "Search", "Search engines"}},
		// Combined with a filter (AND).
		{"search=search&filter=" + enc("views >= 50"), []any{"Search engines", "Search"}},
		{"search=search&filter=" + enc("views < 50 && title ~ 'e'") + "&sort=views", []any{"Gardening", "Full text"}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			if d := apptest.Diff(searchTitles(t, s, name, c.query, ""), c.want, "$"); d != "" {
				t.Fatal(d)
			}
		})
	}

	// The exact page: totals count the matches, and the search column never
	// shows.
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?search=uber&per_page=1", nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": apptest.AnyUUID,
		"data":    map[string]any{"title": "Café culture", "body": "<p>The best cafés of Wien are über gemütlich.</p>", "contact": "alice@example.com", "site": nil, "views": 20},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": 1, "page": 1, "per_page": 1, "total_pages": 1})
	r = s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?search=search&per_page=3&page=2&fields=title", nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": apptest.AnyUUID, "data": map[string]any{"title": "Gardening"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": 4, "page": 2, "per_page": 3, "total_pages": 2})

	// The search column is no field: not readable, filterable or sortable.
	bad := map[string]string{
		"fields=_search":                          `fields: unknown field "_search"`,
		"sort=_search":                            `sort: unknown field "_search" (item 1)`,
		"filter=" + enc("_search = 'x'"):          `filter: unknown field "_search" at position 0`,
		"search=" + enc("a\x00b"):                 "search: must be valid UTF-8 text without NUL characters",
		"search=search&filter=" + enc("nope = 1"): `filter: unknown field "nope" at position 0`,
	}
	for q, msg := range bad {
		t.Run(q, func(t *testing.T) {
			apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?"+q, nil, ""), http.StatusBadRequest, "bad request", msg, nil)
		})
	}
}

// Search is one more condition beside the list rule: an owner-only rule
// keeps other users' matches out, for searches and their totals alike.
func TestRecordSearchWithListRule(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	alice, bob := register(t, s, newEmail("alice")), register(t, s, newEmail("bob"))
	name := newName("journal")
	owner := "owner = @request.auth.id"
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text"), field("owner", "text")},
		"list_rule": owner, "view_rule": owner, "create_rule": "@request.data.owner = @request.auth.id"})
	addRecord(t, s, name, alice.Access, map[string]any{"title": "alice secret plan", "owner": alice.ID})
	addRecord(t, s, name, alice.Access, map[string]any{"title": "alice shopping", "owner": alice.ID})
	addRecord(t, s, name, bob.Access, map[string]any{"title": "bob secret plan", "owner": bob.ID})

	for _, c := range []struct {
		who   string
		token string
		want  []any
	}{
		{"alice", alice.Access, []any{"alice secret plan"}},
		{"bob", bob.Access, []any{"bob secret plan"}},
		{"anonymous", "", []any{}},
		{"admin", root.Access, []any{"alice secret plan", "bob secret plan"}},
	} {
		t.Run(c.who, func(t *testing.T) {
			if d := apptest.Diff(searchTitles(t, s, name, "search=plan&sort=title", c.token), c.want, "$"); d != "" {
				t.Fatal(d)
			}
		})
	}
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?search=secret&fields=title", nil, bob.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": apptest.AnyUUID, "data": map[string]any{"title": "bob secret plan"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": 1, "page": 1, "per_page": 20, "total_pages": 1})
	// The owner field is searchable text too, but only within the rule.
	if d := apptest.Diff(searchTitles(t, s, name, "search="+alice.ID, bob.Access), []any{}, "$"); d != "" {
		t.Fatal(d)
	}
}

// searchIndexes counts the GIN indexes on a collection's search column and
// reports whether the column exists.
func searchColumn(t *testing.T, s *apptest.Server, name string) (column bool, ginIndexes int) {
	t.Helper()
	if err := s.DB(t).QueryRow(`SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'data' AND table_name = ? AND column_name = '_search'),
		(SELECT count(*) FROM pg_indexes WHERE schemaname = 'data' AND tablename = ? AND indexdef LIKE '%USING gin (_search)')`, name, name).Scan(&column, &ginIndexes); err != nil {
		t.Fatal(err)
	}
	return column, ginIndexes
}

// The search column follows the schema: renamed, added, dropped, retyped
// and hidden fields, and a collection that loses and regains its text.
func TestRecordSearchFollowsSchemaChanges(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("evolving")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "",
		"schema": []any{field("title", "text"), field("body", "text"), field("n", "number")}})
	id := addRecord(t, s, name, root.Access, map[string]any{"title": "alpha", "body": "beta", "n": 7})
	addRecord(t, s, name, root.Access, map[string]any{"title": "other", "body": "unrelated"})
	patch := func(body map[string]any) {
		t.Helper()
		if r := s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, body, root.Access); r.Status != http.StatusOK {
			t.Fatalf("update collection: %d %s", r.Status, r.Body)
		}
		if n, ok := body["name"].(string); ok {
			name = n
		}
	}
	found := func(steps string, want map[string][]any) {
		t.Helper()
		for term, titles := range want {
			if d := apptest.Diff(searchTitles(t, s, name, "search="+url.QueryEscape(term)+"&sort=created", root.Access), titles, "$"); d != "" {
				t.Fatalf("after %s, search %q: %s", steps, term, d)
			}
		}
	}
	hit, none := []any{"alpha"}, []any{}
	found("create", map[string][]any{"alpha": hit, "beta": hit, "7": none})
	if col, gin := searchColumn(t, s, name); !col || gin != 1 {
		t.Fatalf("after create: column %v, %d GIN indexes", col, gin)
	}

	// Rename the field and the collection; add a text field.
	renamed := newName("evolved")
	patch(map[string]any{"name": renamed, "schema": []any{field("title", "text"), field("content", "text", "rename_from", "body"),
		field("n", "number"), field("extra", "text")}})
	r := s.Do(t, http.MethodPatch, "/api/v1/collections/"+renamed+"/records/"+id, map[string]any{"data": map[string]any{"extra": "gamma"}}, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": id, "data": map[string]any{"title": "alpha", "content": "beta", "n": 7, "extra": "gamma"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
	found("rename and add", map[string][]any{"alpha": hit, "beta": hit, "gamma": hit})

	// Swap two names (through temporary names, around the search column).
	patch(map[string]any{"name": renamed, "schema": []any{field("content", "text", "rename_from", "title"), field("title", "text", "rename_from", "content"),
		field("n", "number"), field("extra", "text")}})
	r = s.Do(t, http.MethodGet, "/api/v1/collections/"+renamed+"/records?search=beta", nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": id, "data": map[string]any{"content": "alpha", "title": "beta", "n": 7, "extra": "gamma"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": 1, "page": 1, "per_page": 20, "total_pages": 1})
	hit = []any{"beta"}

	// Drop a field, retype a number into text (now searchable) and a text
	// into a select (no longer searchable).
	patch(map[string]any{"name": renamed, "schema": []any{field("title", "text"), field("n", "text"),
		field("extra", "select", "select", map[string]any{"values": []any{"gamma", "delta"}})}})
	found("drop and retype", map[string][]any{"alpha": none, "beta": hit, "7": hit, "gamma": none})
	if col, gin := searchColumn(t, s, renamed); !col || gin != 1 {
		t.Fatalf("after retype: column %v, %d GIN indexes", col, gin)
	}

	// A hidden field is searchable by no one, admins included.
	patch(map[string]any{"name": renamed, "schema": []any{field("title", "text"), field("n", "text", "hidden", true),
		field("extra", "select", "select", map[string]any{"values": []any{"gamma", "delta"}})}})
	found("hide", map[string][]any{"beta": hit, "7": none})

	// No searchable field left: no column, and searching is a 400.
	patch(map[string]any{"name": renamed, "schema": []any{field("n", "text", "hidden", true),
		field("extra", "select", "select", map[string]any{"values": []any{"gamma", "delta"}})}})
	if col, gin := searchColumn(t, s, renamed); col || gin != 0 {
		t.Fatalf("without text fields: column %v, %d GIN indexes", col, gin)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+renamed+"/records?search=beta", nil, root.Access), http.StatusBadRequest, "bad request",
		"search: this collection has no searchable fields", nil)

	// Showing the field again brings the column back, over the old rows.
	patch(map[string]any{"name": renamed, "schema": []any{field("n", "text"),
		field("extra", "select", "select", map[string]any{"values": []any{"gamma", "delta"}})}})
	r = s.Do(t, http.MethodGet, "/api/v1/collections/"+renamed+"/records?search=7", nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": id, "data": map[string]any{"n": "7", "extra": "gamma"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": 1, "page": 1, "per_page": 20, "total_pages": 1})
}

func TestRecordSearchWithoutTextFields(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("metrics")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "schema": []any{field("value", "number"), field("ok", "bool")}})
	addRecord(t, s, name, root.Access, map[string]any{"value": 1, "ok": true})
	if col, gin := searchColumn(t, s, name); col || gin != 0 {
		t.Fatalf("column %v, %d GIN indexes", col, gin)
	}
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?fields=value", nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": apptest.AnyUUID, "data": map[string]any{"value": 1},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": 1, "page": 1, "per_page": 20, "total_pages": 1})
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?search=1", nil, ""), http.StatusBadRequest, "bad request",
		"search: this collection has no searchable fields", nil)
	// Blank terms are no search at all.
	if r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?search=", nil, ""); r.Status != http.StatusOK {
		t.Fatalf("empty search: %d %s", r.Status, r.Body)
	}
}

// A table made before search existed has no search column; any change to
// its collection, even of a rule alone, adds it over the existing rows.
func TestRecordSearchColumnAddedToOlderTables(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("legacy")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}})
	id := addRecord(t, s, name, root.Access, map[string]any{"title": "Ærø island"})
	if _, err := s.DB(t).Exec(`ALTER TABLE "data".? DROP COLUMN "_search"`, bun.Ident(name)); err != nil {
		t.Fatal(err)
	}
	if col, gin := searchColumn(t, s, name); col || gin != 0 {
		t.Fatalf("column %v, %d GIN indexes", col, gin)
	}
	if r := s.Do(t, http.MethodPatch, "/api/v1/collections/"+name, map[string]any{"list_rule": ""}, root.Access); r.Status != http.StatusOK {
		t.Fatalf("update collection: %d %s", r.Status, r.Body)
	}
	if col, gin := searchColumn(t, s, name); !col || gin != 1 {
		t.Fatalf("after update: column %v, %d GIN indexes", col, gin)
	}
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?search=aero", nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": id, "data": map[string]any{"title": "Ærø island"},
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}}, "total": 1, "page": 1, "per_page": 20, "total_pages": 1})
}
