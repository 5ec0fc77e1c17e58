package graph_test

import (
	"fmt"
	"testing"

	"fastcms/internal/apptest"
)

// TestHasuraAggregateMinMaxText: min and max cover text, email, url,
// select, date and datetime fields and created/updated (Hasura's
// _min_fields/_max_fields), with sum and avg over numbers only; a hidden
// field is null for a non-admin.
func TestHasuraAggregateMinMaxText(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("reader"))
	n := newName("events")
	createColl(t, s, root.Access, n, `[{name: "title", type: "text"}, {name: "mail", type: "email"}, {name: "site", type: "url"},
		{name: "kind", type: "select", select: {values: ["a", "b", "c"]}}, {name: "day", type: "date"}, {name: "at", type: "datetime"},
		{name: "views", type: "number"}, {name: "secret", type: "text", hidden: true}]`, `, list_rule: "", view_rule: ""`)
	insert(t, s, root.Access, n, map[string]any{"title": "beta", "mail": "b@example.com", "site": "https://b.example", "kind": "b",
		"day": "2024-05-01", "at": "2024-05-01T10:00:00Z", "views": 3, "secret": "m"})
	insert(t, s, root.Access, n, map[string]any{"title": "alpha", "mail": "c@example.com", "site": "https://a.example", "kind": "c",
		"day": "2023-01-31", "at": "2025-01-01T00:00:00.5Z", "views": 7, "secret": "z"})
	insert(t, s, root.Access, n, map[string]any{"title": "gamma"})
	q := fmt.Sprintf(`{ %s_aggregate { aggregate { count
		min { title mail site kind day at views secret created }
		max { title mail site kind day at views secret }
		sum { views } avg { views } } } }`, n)
	agg := func(secretMin, secretMax any) map[string]any {
		return map[string]any{n + "_aggregate": map[string]any{"aggregate": map[string]any{
			"count": 3.0,
			"min": map[string]any{"title": "alpha", "mail": "b@example.com", "site": "https://a.example", "kind": "b", "day": "2023-01-31",
				"at": "2024-05-01T10:00:00.000Z", "views": 3.0, "secret": secretMin, "created": apptest.AnyTime},
			"max": map[string]any{"title": "gamma", "mail": "c@example.com", "site": "https://b.example", "kind": "c", "day": "2024-05-01",
				"at": "2025-01-01T00:00:00.500Z", "views": 7.0, "secret": secretMax},
			"sum": map[string]any{"views": 10.0}, "avg": map[string]any{"views": 5.0},
		}}}
	}
	expectData(t, gql(t, s, q, nil, root.Access), agg("m", "z"))
	expectData(t, gql(t, s, q, nil, user.Access), agg(nil, nil))
	// sum and avg take numbers only: a text field is not in their types.
	q = fmt.Sprintf(`{ %s_aggregate { aggregate { sum { title } } } }`, n)
	expectRequestErrors(t, gql(t, s, q, nil, root.Access), 200, docErr(fmt.Sprintf(`Cannot query field "title" on type "%s_sum_fields".`, n), "GRAPHQL_VALIDATION_FAILED", 1, 34+len(n)))
}

// TestHasuraBackRelationAggregate: <other>_via_<field>_aggregate inside a
// record's selection counts and aggregates the related records the caller
// may view, with where, order_by, limit and offset as in X_aggregate.
func TestHasuraBackRelationAggregate(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("reader"))
	authors, posts := newName("authors"), newName("posts")
	createColl(t, s, root.Access, authors, `[{name: "name", type: "text"}]`, `, list_rule: "", view_rule: ""`)
	createColl(t, s, root.Access, posts, fmt.Sprintf(`[{name: "title", type: "text"}, {name: "views", type: "number"},
		{name: "public", type: "bool"}, {name: "author", type: "relation", relation: {collection: %q}}]`, authors),
		`, list_rule: "", view_rule: "public = true"`)
	ann := insert(t, s, root.Access, authors, map[string]any{"name": "ann"})
	bob := insert(t, s, root.Access, authors, map[string]any{"name": "bob"})
	insert(t, s, root.Access, posts, map[string]any{"title": "a1", "views": 10, "public": true, "author": ann})
	insert(t, s, root.Access, posts, map[string]any{"title": "a2", "views": 20, "public": false, "author": ann})
	insert(t, s, root.Access, posts, map[string]any{"title": "a3", "views": 5, "public": true, "author": ann})
	p := insert(t, s, root.Access, posts, map[string]any{"title": "b1", "views": 1, "public": true, "author": bob})
	q := fmt.Sprintf(`{ %s(order_by: {name: asc}, limit: 10) { name
		all: %s_via_author_aggregate { aggregate { count sum { views } max { title } } }
		big: %s_via_author_aggregate(where: {views: {_gte: 5}}, order_by: {views: desc}, limit: 1) { aggregate { count } nodes { title } } } }`, authors, posts, posts)
	expectData(t, gql(t, s, q, nil, root.Access), map[string]any{authors: []any{
		map[string]any{"name": "ann", "all": map[string]any{"aggregate": map[string]any{"count": 3.0, "sum": map[string]any{"views": 35.0}, "max": map[string]any{"title": "a3"}}},
			"big": map[string]any{"aggregate": map[string]any{"count": 3.0}, "nodes": []any{map[string]any{"title": "a2"}}}},
		map[string]any{"name": "bob", "all": map[string]any{"aggregate": map[string]any{"count": 1.0, "sum": map[string]any{"views": 1.0}, "max": map[string]any{"title": "b1"}}},
			"big": map[string]any{"aggregate": map[string]any{"count": 0.0}, "nodes": []any{}}},
	}})
	// The view rule of posts: a2 is not there for a user.
	expectData(t, gql(t, s, q, nil, user.Access), map[string]any{authors: []any{
		map[string]any{"name": "ann", "all": map[string]any{"aggregate": map[string]any{"count": 2.0, "sum": map[string]any{"views": 15.0}, "max": map[string]any{"title": "a3"}}},
			"big": map[string]any{"aggregate": map[string]any{"count": 2.0}, "nodes": []any{map[string]any{"title": "a1"}}}},
		map[string]any{"name": "bob", "all": map[string]any{"aggregate": map[string]any{"count": 1.0, "sum": map[string]any{"views": 1.0}, "max": map[string]any{"title": "b1"}}},
			"big": map[string]any{"aggregate": map[string]any{"count": 0.0}, "nodes": []any{}}},
	}})
	// Through a forward relation, as the example.
	q = fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { author { name %s_via_author_aggregate { aggregate { count } } } } }`, posts, posts)
	expectData(t, gql(t, s, q, map[string]any{"id": p}, root.Access), map[string]any{posts + "_by_pk": map[string]any{
		"author": map[string]any{"name": "bob", posts + "_via_author_aggregate": map[string]any{"aggregate": map[string]any{"count": 1.0}}}}})
}

// TestHasuraBackRelationAggregateComplexity: a back-relation's aggregate is
// priced like its list (limit × selection), so aggregates of aggregates
// cannot ask for a million nodes.
func TestHasuraBackRelationAggregateComplexity(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	authors, posts := newName("authors"), newName("posts")
	createColl(t, s, root.Access, authors, `[{name: "name", type: "text"}]`, `, list_rule: "", view_rule: ""`)
	createColl(t, s, root.Access, posts, fmt.Sprintf(`[{name: "author", type: "relation", relation: {collection: %q}}]`, authors), `, list_rule: "", view_rule: ""`)
	q := fmt.Sprintf(`{ %s(limit: 1000) { %s_via_author_aggregate(limit: 1000) { nodes { id } } } }`, authors, posts)
	expectRequestErrors(t, gql(t, s, q, nil, root.Access), 200, map[string]any{
		"message":    "operation has complexity 1002001, which exceeds the limit of 5000",
		"extensions": map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"},
	})
	q = fmt.Sprintf(`{ %s(limit: 10) { %s_via_author_aggregate(limit: 10) { aggregate { count } nodes { id } } } }`, authors, posts)
	expectData(t, gql(t, s, q, nil, root.Access), map[string]any{authors: []any{}})
}
