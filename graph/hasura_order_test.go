package graph_test

import (
	"fmt"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// orderFixture: authors (name, a hidden salary) and posts (title, views,
// author); the author "hid" is hidden from non-admins by the view rule of
// authors (not its list rule), the post p3 by the view rule of posts.
type orderFixture struct {
	s                      *apptest.Server
	admin, user            string
	authors, posts         string
	ann, bob, hid          string
	p1, p2, p3, p4, p5, p6 string
}

func newOrderFixture(t *testing.T) *orderFixture {
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("reader"))
	f := &orderFixture{s: s, admin: root.Access, user: user.Access, authors: newName("authors"), posts: newName("posts")}
	createColl(t, s, f.admin, f.authors, `[{name: "name", type: "text"}, {name: "salary", type: "number", hidden: true}, {name: "public", type: "bool"}]`,
		`, list_rule: "", view_rule: "public = true"`)
	createColl(t, s, f.admin, f.posts, fmt.Sprintf(`[{name: "title", type: "text"}, {name: "views", type: "number"},
		{name: "author", type: "relation", relation: {collection: %q}}]`, f.authors), `, list_rule: "", view_rule: "views < 9"`)
	f.ann = insert(t, s, f.admin, f.authors, map[string]any{"name": "ann", "salary": 3, "public": true})
	f.bob = insert(t, s, f.admin, f.authors, map[string]any{"name": "bob", "salary": 1, "public": true})
	f.hid = insert(t, s, f.admin, f.authors, map[string]any{"name": "aaa-hidden", "salary": 2, "public": false})
	f.p1 = insert(t, s, f.admin, f.posts, map[string]any{"title": "p1", "views": 5, "author": f.bob})
	f.p2 = insert(t, s, f.admin, f.posts, map[string]any{"title": "p2", "views": 1, "author": f.ann})
	f.p3 = insert(t, s, f.admin, f.posts, map[string]any{"title": "p3", "views": 9, "author": f.hid})
	f.p4 = insert(t, s, f.admin, f.posts, map[string]any{"title": "p4", "views": 7, "author": f.bob})
	f.p5 = insert(t, s, f.admin, f.posts, map[string]any{"title": "p5", "views": 3})
	f.p6 = insert(t, s, f.admin, f.posts, map[string]any{"title": "p6", "views": 8, "author": f.hid})
	return f
}

func (f *orderFixture) titles(t *testing.T, token, args string) []any {
	t.Helper()
	d := must(t, f.s, token, fmt.Sprintf(`{ %s(%s) { title } }`, f.posts, args), nil)
	out := []any{}
	for _, r := range d[f.posts].([]any) {
		out = append(out, r.(map[string]any)["title"])
	}
	return out
}

// TestHasuraOrderByObjectRelation: order_by on a forward relation's fields
// orders by the related record's value, NULL (last with asc) where there is
// none or where the caller may not view it; a hidden field of the related
// collection cannot be sorted by a non-admin.
func TestHasuraOrderByObjectRelation(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t)
	expectJSON(t, f.titles(t, f.admin, `order_by: [{author: {name: asc}}, {views: desc}]`), []any{"p3", "p6", "p2", "p4", "p1", "p5"})
	// For a user the author "aaa-hidden" is not there: NULL, like p5's.
	expectJSON(t, f.titles(t, f.user, `order_by: [{author: {name: asc}}, {views: desc}]`), []any{"p2", "p4", "p1", "p3", "p6", "p5"})
	expectJSON(t, f.titles(t, f.user, `order_by: [{author: {name: desc_nulls_last}}, {title: asc}]`), []any{"p1", "p4", "p2", "p3", "p5", "p6"})
	expectJSON(t, f.titles(t, f.admin, `order_by: [{author: {salary: desc}}, {title: asc}]`), []any{"p5", "p2", "p3", "p6", "p1", "p4"})
	q := fmt.Sprintf(`{ %s(order_by: {author: {salary: desc}}) { title } }`, f.posts)
	expectErrors(t, gql(t, f.s, q, nil, f.user), nil, fieldErr(q, f.posts, `order_by: field "salary" cannot be sorted`, "BAD_USER_INPUT", nil))
	// Connections page through such an order.
	q = fmt.Sprintf(`query($after: String) { %s_connection(order_by: [{author: {name: asc}}, {views: desc}], first: 4, after: $after) {
		edges { node { title } } page_info { end_cursor has_next_page } } }`, f.posts)
	d := must(t, f.s, f.user, q, nil)[f.posts+"_connection"].(map[string]any)
	end := d["page_info"].(map[string]any)["end_cursor"]
	d = must(t, f.s, f.user, q, map[string]any{"after": end})[f.posts+"_connection"].(map[string]any)
	expectJSON(t, d["edges"], []any{map[string]any{"node": map[string]any{"title": "p6"}}, map[string]any{"node": map[string]any{"title": "p5"}}})
}

// TestHasuraOrderByBackRelationAggregate: order_by on a back-relation's
// aggregate counts (or aggregates) only the related records the caller may
// view.
func TestHasuraOrderByBackRelationAggregate(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t)
	names := func(token, args string) []any {
		d := must(t, f.s, token, fmt.Sprintf(`{ %s(%s) { name } }`, f.authors, args), nil)
		out := []any{}
		for _, r := range d[f.authors].([]any) {
			out = append(out, r.(map[string]any)["name"])
		}
		return out
	}
	agg := f.posts + "_via_author_aggregate"
	expectJSON(t, names(f.admin, fmt.Sprintf(`order_by: [{%s: {count: desc}}, {name: asc}]`, agg)), []any{"aaa-hidden", "bob", "ann"})
	expectJSON(t, names(f.admin, fmt.Sprintf(`order_by: {%s: {max: {views: desc}}}`, agg)), []any{"aaa-hidden", "bob", "ann"})
	expectJSON(t, names(f.admin, fmt.Sprintf(`order_by: {%s: {sum: {views: asc}}}`, agg)), []any{"ann", "bob", "aaa-hidden"})
	// For a user p3 (views 9) is hidden by the view rule of posts.
	expectJSON(t, names(f.user, fmt.Sprintf(`order_by: [{%s: {count: asc}}, {name: desc}]`, agg)), []any{"ann", "aaa-hidden", "bob"})
}

// TestHasuraDistinctOn: distinct_on keeps the first record of each group in
// the order of order_by, which must start with the distinct_on columns.
func TestHasuraDistinctOn(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t)
	q := fmt.Sprintf(`{ %s(distinct_on: [author], order_by: [{author: {id: asc}}, {views: desc}]) { author { name } views } }`, f.posts)
	d := must(t, f.s, f.admin, q, nil)[f.posts].([]any)
	if len(d) != 4 {
		t.Fatalf("want one post per author and one without: %v", d)
	}
	best := map[any]any{}
	for _, r := range d {
		m := r.(map[string]any)
		var name any
		if a, ok := m["author"].(map[string]any); ok {
			name = a["name"]
		}
		best[name] = m["views"]
	}
	expectJSON(t, best, map[any]any{"ann": 1.0, "bob": 7.0, "aaa-hidden": 9.0, nil: 3.0})
	// Without order_by: by the distinct_on columns, then the default order.
	q = fmt.Sprintf(`{ %s(distinct_on: author) { title } }`, f.posts)
	if r := gql(t, f.s, q, nil, f.admin); r.Status != http.StatusOK || len(r.JSON(t)["data"].(map[string]any)[f.posts].([]any)) != 4 {
		t.Fatalf("distinct_on without order_by: %d %s", r.Status, r.Body)
	}
	q = fmt.Sprintf(`{ %s(distinct_on: [author], order_by: {views: desc}) { title } }`, f.posts)
	expectErrors(t, gql(t, f.s, q, nil, f.admin), nil, fieldErr(q, f.posts, "distinct_on: order_by must start with the distinct_on columns", "BAD_USER_INPUT", nil))
	// Back-relation lists take it too.
	q = fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { %s_via_author(distinct_on: [author]) { title } } }`, f.authors, f.posts)
	expectData(t, gql(t, f.s, q, map[string]any{"id": f.bob}, f.admin), map[string]any{f.authors + "_by_pk": map[string]any{f.posts + "_via_author": []any{map[string]any{"title": "p1"}}}})
	// A hidden field is not a column a non-admin may name.
	q = fmt.Sprintf(`{ %s(distinct_on: [salary]) { name } }`, f.authors)
	expectErrors(t, gql(t, f.s, q, nil, f.user), nil, fieldErr(q, f.authors, `distinct_on: field "salary" cannot be used`, "BAD_USER_INPUT", nil))
}
