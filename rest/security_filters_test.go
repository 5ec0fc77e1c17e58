package rest_test

import (
	"net/http"
	"net/url"
	"testing"

	"fastcms/internal/apptest"
)

// Finding 2 of the 2026-12-01 security review: a client filter that walks
// a relation sees only the related records its caller may view, through
// single and multi relations, while rules (written by admins) keep
// traversing freely.
func TestSecurity02RelationFilterViewRule(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	alice := register(t, s, newEmail("alice"))
	authors, notes, posts := newName("authors"), newName("notes"), newName("posts")
	createCollection(t, s, root.Access, map[string]any{"name": authors, "schema": []any{field("name", "text"), field("email", "email")}})
	own := "owner = @request.auth.id"
	createCollection(t, s, root.Access, map[string]any{"name": notes, "schema": []any{field("owner", "text"), field("body", "text")},
		"list_rule": own, "view_rule": own})
	createCollection(t, s, root.Access, map[string]any{"name": posts, "list_rule": "", "view_rule": "", "schema": []any{
		field("title", "text"),
		field("author", "relation", "relation", map[string]any{"collection": authors}),
		field("coauthors", "relation", "relation", map[string]any{"collection": authors, "max_select": 3}),
		field("note", "relation", "relation", map[string]any{"collection": notes}),
	}})
	create := func(coll string, data map[string]any) string {
		r := s.Do(t, http.MethodPost, "/api/v1/collections/"+coll+"/records", map[string]any{"data": data}, root.Access)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		return r.JSON(t)["id"].(string)
	}
	sarah := create(authors, map[string]any{"name": "Secret Sarah", "email": "sarah@hidden.example"})
	bobNote := create(notes, map[string]any{"owner": "someone-else", "body": "salary of CEO is 900k"})
	aliceNote := create(notes, map[string]any{"owner": alice.ID, "body": "mine"})
	create(posts, map[string]any{"title": "p1", "author": sarah, "coauthors": []any{sarah}, "note": bobNote})
	create(posts, map[string]any{"title": "p2", "note": aliceNote})

	list := func(token, filter string) []any {
		t.Helper()
		return ids(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+posts+"/records?sort=title&filter="+url.QueryEscape(filter), nil, token))
	}
	for _, c := range []struct {
		who    string
		token  string
		filter string
		want   []any
	}{
		{"anonymous", "", `author.email ~ "sarah"`, nil},
		{"anonymous", "", `author.name = "Secret Sarah"`, nil},
		{"anonymous", "", `coauthors.email ?~ "sarah"`, nil},
		{"anonymous", "", `author.email < "t"`, nil},
		{"user", alice.Access, `author.email ~ "sarah"`, nil},
		{"user", alice.Access, `note.body ~ "salary"`, nil},
		{"user", alice.Access, `note.body ~ "mine"`, []any{"p2"}},
		// The relation's own value is the listed record's, not the target's.
		{"anonymous", "", `author = "` + sarah + `"`, []any{"p1"}},
		{"admin", root.Access, `author.email ~ "sarah"`, []any{"p1"}},
		{"admin", root.Access, `coauthors.email ?~ "sarah"`, []any{"p1"}},
		{"admin", root.Access, `note.body ~ "salary"`, []any{"p1"}},
	} {
		if d := apptest.Diff(list(c.token, c.filter), c.want, "$"); d != "" {
			t.Errorf("%s, filter %s: %s", c.who, c.filter, d)
		}
	}

	// The CSV export applies the same filter.
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+posts+"/records/export/csv?filter="+url.QueryEscape(`author.email ~ "sarah"`), nil, "")
	if r.Status != http.StatusOK || string(r.Body) != "id,created,updated,title,author,coauthors,note\n" {
		t.Errorf("export: %d %q", r.Status, r.Body)
	}

	// Rules are the admin's: a view rule through an admin-only collection
	// still lets alice see her own document.
	teams, docs := newName("teams"), newName("docs")
	createCollection(t, s, root.Access, map[string]any{"name": teams, "schema": []any{field("owner", "text")}})
	createCollection(t, s, root.Access, map[string]any{"name": docs, "list_rule": "team.owner = @request.auth.id", "view_rule": "team.owner = @request.auth.id",
		"schema": []any{field("title", "text"), field("team", "relation", "relation", map[string]any{"collection": teams})}})
	create(docs, map[string]any{"title": "hers", "team": create(teams, map[string]any{"owner": alice.ID})})
	create(docs, map[string]any{"title": "theirs", "team": create(teams, map[string]any{"owner": "someone-else"})})
	if d := apptest.Diff(ids(t, s.Do(t, http.MethodGet, "/api/v1/collections/"+docs+"/records", nil, alice.Access)), []any{"hers"}, "$"); d != "" {
		t.Error(d)
	}
}
