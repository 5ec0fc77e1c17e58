package rest_test

import (
	"net/http"
	"net/url"
	"testing"

	"fastcms/internal/apptest"
)

// expandEnv creates records as one caller and reads them back.
type expandEnv struct {
	t     *testing.T
	s     *apptest.Server
	token string
}

// add creates a record and returns its id.
func (e expandEnv) add(collection string, data map[string]any) string {
	e.t.Helper()
	r := e.s.Do(e.t, http.MethodPost, "/api/v1/collections/"+collection+"/records", map[string]any{"data": data}, e.token)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create in %s: %d %s", collection, r.Status, r.Body)
	}
	return r.JSON(e.t)["id"].(string)
}

// public creates a collection everyone may list and view.
func (e expandEnv) public(name string, schema ...any) {
	e.t.Helper()
	createCollection(e.t, e.s, e.token, map[string]any{"name": name, "list_rule": "", "view_rule": "", "schema": schema})
}

// get reads one record with a query string, as token.
func (e expandEnv) get(collection, id, query, token string) *apptest.Response {
	e.t.Helper()
	return e.s.Do(e.t, http.MethodGet, "/api/v1/collections/"+collection+"/records/"+id+"?"+query, nil, token)
}

// expandRec is the exact RecordResponse of a record.
func expandRec(id string, data map[string]any, expand any) map[string]any {
	return map[string]any{"id": id, "data": data, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": expand}
}

// relation is the "relation" options of a field pointing at collection.
func (expandEnv) relation(collection string, extra ...any) map[string]any {
	rel := map[string]any{"collection": collection}
	for i := 0; i+1 < len(extra); i += 2 {
		rel[extra[i].(string)] = extra[i+1]
	}
	return rel
}

// Forward relations: nested single relations, a multi relation in the
// order of its ids, Get and List, fields= together with expand.
func TestExpandForwardRelations(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	e := expandEnv{t, s, root.Access}
	companies, authors, tags, posts := newName("companies"), newName("authors"), newName("tags"), newName("posts")
	e.public(companies, field("name", "text"))
	e.public(authors, field("name", "text"), field("company", "relation", "relation", e.relation(companies)))
	e.public(tags, field("label", "text"))
	e.public(posts, field("title", "text"), field("author", "relation", "relation", e.relation(authors)),
		field("tags", "relation", "relation", e.relation(tags, "max_select", 5)))

	acme := e.add(companies, map[string]any{"name": "Acme"})
	ann := e.add(authors, map[string]any{"name": "Ann", "company": acme})
	bob := e.add(authors, map[string]any{"name": "Bob"})
	goTag, sqlTag, webTag := e.add(tags, map[string]any{"label": "go"}), e.add(tags, map[string]any{"label": "sql"}), e.add(tags, map[string]any{"label": "web"})
	first := e.add(posts, map[string]any{"title": "First", "author": ann, "tags": []any{webTag, goTag, sqlTag}})
	second := e.add(posts, map[string]any{"title": "Second", "author": bob})
	third := e.add(posts, map[string]any{"title": "Third"})

	annData := map[string]any{"name": "Ann", "company": acme}
	bobData := map[string]any{"name": "Bob", "company": nil}
	acmeRec := expandRec(acme, map[string]any{"name": "Acme"}, nil)
	tagRecs := []any{
		expandRec(webTag, map[string]any{"label": "web"}, nil),
		expandRec(goTag, map[string]any{"label": "go"}, nil),
		expandRec(sqlTag, map[string]any{"label": "sql"}, nil),
	}
	firstData := map[string]any{"title": "First", "author": ann, "tags": []any{webTag, goTag, sqlTag}}

	t.Run("get", func(t *testing.T) {
		// author.company implies author; the tags keep the order of the ids.
		r := e.get(posts, first, "expand=author.company,tags", "")
		apptest.ExpectJSON(t, r, http.StatusOK, expandRec(first, firstData, map[string]any{
			"author": expandRec(ann, annData, map[string]any{"company": acmeRec}),
			"tags":   tagRecs,
		}))
		// Repeating a path changes nothing; without expand it is null.
		r = e.get(posts, first, "expand=tags,author,tags", "")
		apptest.ExpectJSON(t, r, http.StatusOK, expandRec(first, firstData, map[string]any{"author": expandRec(ann, annData, nil), "tags": tagRecs}))
		apptest.ExpectJSON(t, e.get(posts, first, "expand=", ""), http.StatusOK, expandRec(first, firstData, nil))
	})

	t.Run("list", func(t *testing.T) {
		q := url.Values{"sort": {"title"}, "expand": {"author,author.company,tags"}}
		r := s.Do(t, http.MethodGet, "/api/v1/collections/"+posts+"/records?"+q.Encode(), nil, "")
		apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{
			expandRec(first, firstData, map[string]any{"author": expandRec(ann, annData, map[string]any{"company": acmeRec}), "tags": tagRecs}),
			// Bob has no company and the post no tags: those keys are omitted.
			expandRec(second, map[string]any{"title": "Second", "author": bob, "tags": []any{}}, map[string]any{"author": expandRec(bob, bobData, map[string]any{})}),
			// Nothing to expand at all: an empty object, as expand was asked.
			expandRec(third, map[string]any{"title": "Third", "author": nil, "tags": []any{}}, map[string]any{}),
		}, "total": 3, "page": 1, "per_page": 20, "total_pages": 1})
	})

	t.Run("fields", func(t *testing.T) {
		// fields= limits data, not what can be expanded.
		r := e.get(posts, first, "fields=title&expand=author,tags", "")
		apptest.ExpectJSON(t, r, http.StatusOK, expandRec(first, map[string]any{"title": "First"}, map[string]any{"author": expandRec(ann, annData, nil), "tags": tagRecs}))
		r = s.Do(t, http.MethodGet, "/api/v1/collections/"+posts+"/records?sort=title&per_page=1&fields=tags&expand=author.company", nil, "")
		apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{
			expandRec(first, map[string]any{"tags": []any{webTag, goTag, sqlTag}}, map[string]any{"author": expandRec(ann, annData, map[string]any{"company": acmeRec})}),
		}, "total": 3, "page": 1, "per_page": 1, "total_pages": 3})
	})
}

// Back-relations through a single and a multi relation field, ordered by
// creation and nested further.
func TestExpandBackRelations(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	e := expandEnv{t, s, root.Access}
	posts, comments, notes := newName("blog"), newName("comments"), newName("memos")
	e.public(posts, field("title", "text"))
	e.public(comments, field("body", "text"), field("post", "relation", "relation", e.relation(posts)))
	e.public(notes, field("text", "text"), field("posts", "relation", "relation", e.relation(posts, "max_select", 3)))

	p1 := e.add(posts, map[string]any{"title": "p1"})
	p2 := e.add(posts, map[string]any{"title": "p2"})
	p3 := e.add(posts, map[string]any{"title": "p3"})
	c1 := e.add(comments, map[string]any{"body": "one", "post": p1})
	c2 := e.add(comments, map[string]any{"body": "two", "post": p2})
	c3 := e.add(comments, map[string]any{"body": "three", "post": p1})
	n1 := e.add(notes, map[string]any{"text": "a", "posts": []any{p2, p1}})
	n2 := e.add(notes, map[string]any{"text": "b", "posts": []any{p1}})

	byComments, byNotes := comments+"_via_post", notes+"_via_posts"
	p1Rec := expandRec(p1, map[string]any{"title": "p1"}, nil)
	comment := func(id, body, post string, expand any) map[string]any {
		return expandRec(id, map[string]any{"body": body, "post": post}, expand)
	}
	n1Rec := expandRec(n1, map[string]any{"text": "a", "posts": []any{p2, p1}}, nil)
	n2Rec := expandRec(n2, map[string]any{"text": "b", "posts": []any{p1}}, nil)

	r := e.get(posts, p1, "expand="+byComments+","+byNotes+","+byComments+".post", "")
	apptest.ExpectJSON(t, r, http.StatusOK, expandRec(p1, map[string]any{"title": "p1"}, map[string]any{
		byComments: []any{comment(c1, "one", p1, map[string]any{"post": p1Rec}), comment(c3, "three", p1, map[string]any{"post": p1Rec})},
		byNotes:    []any{n1Rec, n2Rec},
	}))

	r = s.Do(t, http.MethodGet, "/api/v1/collections/"+posts+"/records?sort=title&expand="+byComments+","+byNotes, nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{
		expandRec(p1, map[string]any{"title": "p1"}, map[string]any{byComments: []any{comment(c1, "one", p1, nil), comment(c3, "three", p1, nil)}, byNotes: []any{n1Rec, n2Rec}}),
		expandRec(p2, map[string]any{"title": "p2"}, map[string]any{byComments: []any{comment(c2, "two", p2, nil)}, byNotes: []any{n1Rec}}),
		// No comment and no note points at p3: empty back-relations are omitted.
		expandRec(p3, map[string]any{"title": "p3"}, map[string]any{}),
	}, "total": 3, "page": 1, "per_page": 20, "total_pages": 1})

	// Forward from a note, back again to its posts' comments.
	r = e.get(notes, n1, "expand=posts."+byComments, "")
	apptest.ExpectJSON(t, r, http.StatusOK, expandRec(n1, map[string]any{"text": "a", "posts": []any{p2, p1}}, map[string]any{"posts": []any{
		expandRec(p2, map[string]any{"title": "p2"}, map[string]any{byComments: []any{comment(c2, "two", p2, nil)}}),
		expandRec(p1, map[string]any{"title": "p1"}, map[string]any{byComments: []any{comment(c1, "one", p1, nil), comment(c3, "three", p1, nil)}}),
	}}))

	// A field that is no relation, or a relation to another collection, is unknown.
	for _, path := range []string{comments + "_via_body", notes + "_via_text", posts + "_via_post", comments + "_via_nope", "nope_via_post"} {
		apptest.ExpectError(t, e.get(posts, p1, "expand="+path, ""), http.StatusBadRequest, "bad request", `expand: unknown relation "`+path+`"`, nil)
	}
}

// The targets' view rules and hidden fields apply to the caller at every
// level; admins see everything.
func TestExpandHonoursViewRules(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user, other := register(t, s, newEmail("expander")), register(t, s, newEmail("stranger"))
	e := expandEnv{t, s, root.Access}
	people, vault, owned, posts := newName("people"), newName("vault"), newName("owned"), newName("stories")
	createCollection(t, s, root.Access, map[string]any{"name": people, "list_rule": "", "view_rule": "name != 'Secret'",
		"schema": []any{field("name", "text"), field("email", "text", "hidden", true)}})
	createCollection(t, s, root.Access, map[string]any{"name": vault, "schema": []any{field("title", "text")}}) // admins only
	createCollection(t, s, root.Access, map[string]any{"name": owned, "list_rule": "", "view_rule": "owner = @request.auth.id",
		"schema": []any{field("title", "text"), field("owner", "text")}})
	createCollection(t, s, root.Access, map[string]any{"name": posts, "list_rule": "title != 'hidden'", "view_rule": "title != 'hidden'", "schema": []any{
		field("title", "text"),
		field("author", "relation", "relation", e.relation(people)),
		field("readers", "relation", "relation", e.relation(people, "max_select", 5)),
		field("vault", "relation", "relation", e.relation(vault)),
		field("private", "relation", "relation", e.relation(owned)),
		field("editor", "relation", "relation", e.relation(people), "hidden", true),
	}})

	ann := e.add(people, map[string]any{"name": "Ann", "email": "ann@example.com"})
	secret := e.add(people, map[string]any{"name": "Secret", "email": "secret@example.com"})
	v1 := e.add(vault, map[string]any{"title": "gold"})
	mine := e.add(owned, map[string]any{"title": "mine", "owner": user.ID})
	theirs := e.add(owned, map[string]any{"title": "theirs", "owner": other.ID})
	a := e.add(posts, map[string]any{"title": "A", "author": ann, "readers": []any{secret, ann}, "vault": v1, "private": mine, "editor": ann})
	b := e.add(posts, map[string]any{"title": "B", "author": secret, "readers": []any{secret}, "private": theirs})

	const paths = "expand=author,readers,vault,private"
	aData := map[string]any{"title": "A", "author": ann, "readers": []any{secret, ann}, "vault": v1, "private": mine}
	bData := map[string]any{"title": "B", "author": secret, "readers": []any{secret}, "vault": nil, "private": theirs}
	annRec := expandRec(ann, map[string]any{"name": "Ann"}, nil)
	mineRec := expandRec(mine, map[string]any{"title": "mine", "owner": user.ID}, nil)

	t.Run("user", func(t *testing.T) {
		// No email (hidden), no Secret (view rule), no vault (admins only).
		apptest.ExpectJSON(t, e.get(posts, a, paths, user.Access), http.StatusOK, expandRec(a, aData, map[string]any{
			"author": annRec, "readers": []any{annRec}, "private": mineRec}))
		apptest.ExpectJSON(t, e.get(posts, b, paths, user.Access), http.StatusOK, expandRec(b, bData, map[string]any{}))
		apptest.ExpectJSON(t, e.get(posts, b, paths, other.Access), http.StatusOK, expandRec(b, bData, map[string]any{
			"private": expandRec(theirs, map[string]any{"title": "theirs", "owner": other.ID}, nil)}))
	})
	t.Run("anonymous", func(t *testing.T) {
		r := s.Do(t, http.MethodGet, "/api/v1/collections/"+posts+"/records?sort=title&"+paths, nil, "")
		apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{
			expandRec(a, aData, map[string]any{"author": annRec, "readers": []any{annRec}}),
			expandRec(b, bData, map[string]any{}),
		}, "total": 2, "page": 1, "per_page": 20, "total_pages": 1})
	})
	t.Run("admin", func(t *testing.T) {
		annFull := expandRec(ann, map[string]any{"name": "Ann", "email": "ann@example.com"}, nil)
		secretFull := expandRec(secret, map[string]any{"name": "Secret", "email": "secret@example.com"}, nil)
		aFull := map[string]any{"title": "A", "author": ann, "readers": []any{secret, ann}, "vault": v1, "private": mine, "editor": ann}
		apptest.ExpectJSON(t, e.get(posts, a, paths+",editor", root.Access), http.StatusOK, expandRec(a, aFull, map[string]any{
			"author": annFull, "readers": []any{secretFull, annFull}, "private": mineRec, "editor": annFull,
			"vault": expandRec(v1, map[string]any{"title": "gold"}, nil)}))
		apptest.ExpectJSON(t, e.get(people, ann, "expand="+posts+"_via_editor", root.Access), http.StatusOK,
			expandRec(ann, map[string]any{"name": "Ann", "email": "ann@example.com"}, map[string]any{posts + "_via_editor": []any{
				expandRec(a, aFull, nil)}}))
	})
	t.Run("back-relations", func(t *testing.T) {
		// Only the posts the caller may view come back.
		hidden := e.add(posts, map[string]any{"title": "hidden", "author": ann})
		apptest.ExpectJSON(t, e.get(people, ann, "expand="+posts+"_via_author", user.Access), http.StatusOK,
			expandRec(ann, map[string]any{"name": "Ann"}, map[string]any{posts + "_via_author": []any{expandRec(a, aData, nil)}}))
		r := e.get(people, ann, "expand="+posts+"_via_author", root.Access)
		if got := len(r.JSON(t)["expand"].(map[string]any)[posts+"_via_author"].([]any)); got != 2 {
			t.Fatalf("admin sees %d posts of Ann, want 2 (with %s): %s", got, hidden, r.Body)
		}
	})
	t.Run("hidden relation fields", func(t *testing.T) {
		// A hidden field is unknown to users, as in filters.
		apptest.ExpectError(t, e.get(posts, a, "expand=editor", user.Access), http.StatusBadRequest, "bad request", `expand: unknown relation "editor"`, nil)
		apptest.ExpectError(t, e.get(people, ann, "expand="+posts+"_via_editor", user.Access), http.StatusBadRequest, "bad request",
			`expand: unknown relation "`+posts+`_via_editor"`, nil)
	})
}

// Paths up to six relations deep; deeper, unknown or malformed ones are 400s.
func TestExpandDepthAndErrors(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	e := expandEnv{t, s, root.Access}
	nodes := newName("nodes")
	e.public(nodes, field("name", "text"), field("parent", "relation", "relation", e.relation(nodes)))

	// A chain n0 <- n1 <- … <- n7.
	chain := []string{e.add(nodes, map[string]any{"name": "n0"})}
	for i := 1; i <= 7; i++ {
		chain = append(chain, e.add(nodes, map[string]any{"name": "n" + string(rune('0'+i)), "parent": chain[i-1]}))
	}
	data := func(i int) map[string]any {
		d := map[string]any{"name": "n" + string(rune('0'+i)), "parent": nil}
		if i > 0 {
			d["parent"] = chain[i-1]
		}
		return d
	}
	// want is node i expanded depth levels up its parents.
	var want func(i, depth int) map[string]any
	want = func(i, depth int) map[string]any {
		if depth == 0 {
			return expandRec(chain[i], data(i), nil)
		}
		return expandRec(chain[i], data(i), map[string]any{"parent": want(i-1, depth-1)})
	}
	six := "parent.parent.parent.parent.parent.parent"
	apptest.ExpectJSON(t, e.get(nodes, chain[7], "expand="+six, ""), http.StatusOK, want(7, 6))
	// Past the root of the chain the key is omitted.
	apptest.ExpectJSON(t, e.get(nodes, chain[2], "expand="+six, ""), http.StatusOK,
		expandRec(chain[2], data(2), map[string]any{"parent": expandRec(chain[1], data(1), map[string]any{"parent": expandRec(chain[0], data(0), map[string]any{})})}))
	// Self back-relation.
	apptest.ExpectJSON(t, e.get(nodes, chain[0], "expand="+nodes+"_via_parent", ""), http.StatusOK,
		expandRec(chain[0], data(0), map[string]any{nodes + "_via_parent": []any{expandRec(chain[1], data(1), nil)}}))

	bad := map[string]string{
		six + ".parent":               `expand: "` + six + `.parent" is deeper than 6 relations`,
		"nope":                        `expand: unknown relation "nope"`,
		"parent.name":                 `expand: unknown relation "parent.name"`,
		"parent.parent.nope.parent":   `expand: unknown relation "parent.parent.nope"`,
		"parent..parent":              `expand: unknown relation "parent."`,
		"id":                          `expand: unknown relation "id"`,
		"parent,name":                 `expand: unknown relation "name"`,
		nodes + "_via_name":           `expand: unknown relation "` + nodes + `_via_name"`,
		"_via_parent":                 `expand: unknown relation "_via_parent"`,
		"parent.parent." + nodes + "": `expand: unknown relation "parent.parent.` + nodes + `"`,
	}
	for path, msg := range bad {
		t.Run(path, func(t *testing.T) {
			apptest.ExpectError(t, e.get(nodes, chain[7], "expand="+url.QueryEscape(path), ""), http.StatusBadRequest, "bad request", msg, nil)
			r := s.Do(t, http.MethodGet, "/api/v1/collections/"+nodes+"/records?expand="+url.QueryEscape(path), nil, "")
			apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", msg, nil)
		})
	}
}
