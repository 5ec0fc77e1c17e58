package graph_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

// shop is a fixture: people, and items with a field of every type.
type shop struct {
	people, items string
	ann, bob      string // people ids
	a, b, c       string // item ids
	file          string // the file of item a
}

func newShop(t *testing.T, s *apptest.Server, token string) shop {
	t.Helper()
	sh := shop{people: newName("people"), items: newName("items")}
	open := `, list_rule: "", view_rule: "", create_rule: "", update_rule: "", delete_rule: ""`
	createColl(t, s, token, sh.people, `[{name: "name", type: "text"}]`, open)
	createColl(t, s, token, sh.items, fmt.Sprintf(`[
		{name: "title", type: "text"}, {name: "body", type: "editor"}, {name: "score", type: "number"},
		{name: "done", type: "bool"}, {name: "mail", type: "email"}, {name: "site", type: "url"},
		{name: "day", type: "date"}, {name: "at", type: "datetime"},
		{name: "color", type: "select", select: {values: ["red", "green"]}},
		{name: "tags", type: "select", select: {values: ["a", "b", "c"], max_select: 3}},
		{name: "owner", type: "relation", relation: {collection: %q}},
		{name: "readers", type: "relation", relation: {collection: %q, max_select: 3}},
		{name: "file", type: "file"}, {name: "meta", type: "json"}]`, sh.people, sh.people), open)
	sh.ann = insert(t, s, token, sh.people, map[string]any{"name": "Ann"})
	sh.bob = insert(t, s, token, sh.people, map[string]any{"name": "Bob"})
	sh.file = uploadFile(t, s, token, "f1.txt")
	sh.a = insert(t, s, token, sh.items, map[string]any{"title": "Apple pie", "body": "<p>x</p>", "score": 1.5, "done": true, "mail": "a@x.io",
		"site": "https://a.io", "day": "2026-01-02", "at": "2026-01-02T10:00:00Z", "color": "red", "tags": []any{"a", "b"},
		"owner": sh.ann, "readers": []any{sh.bob, sh.ann}, "file": sh.file, "meta": map[string]any{"k": 1, "list": []any{"x"}}})
	sh.b = insert(t, s, token, sh.items, map[string]any{"title": "banana", "score": 7, "done": false, "day": "2026-03-04",
		"at": "2026-03-04T10:00:00Z", "color": "green", "tags": []any{"c"}, "owner": sh.bob, "meta": map[string]any{"j": true}})
	sh.c = insert(t, s, token, sh.items, map[string]any{"title": "Cherry", "score": 3})
	return sh
}

func TestDynamicFieldTypes(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	sh := newShop(t, s, root.Access)
	q := fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { id title body score done mail site day at color tags
		owner { id name } readers { name } file meta created updated } }`, sh.items)
	d := must(t, s, root.Access, q, map[string]any{"id": sh.a})
	expectJSON(t, d[sh.items+"_by_pk"], map[string]any{"id": sh.a, "title": "Apple pie", "body": "<p>x</p>", "score": 1.5, "done": true,
		"mail": "a@x.io", "site": "https://a.io", "day": "2026-01-02", "at": "2026-01-02T10:00:00.000Z", "color": "red",
		"tags": []any{"a", "b"}, "owner": map[string]any{"id": sh.ann, "name": "Ann"},
		"readers": []any{map[string]any{"name": "Bob"}, map[string]any{"name": "Ann"}}, "file": sh.file,
		"meta": map[string]any{"k": 1.0, "list": []any{"x"}}, "created": apptest.AnyTime, "updated": apptest.AnyTime})
	// Absent values are null, lists empty; a missing record is null.
	d = must(t, s, root.Access, q, map[string]any{"id": sh.c})
	expectJSON(t, d[sh.items+"_by_pk"], map[string]any{"id": sh.c, "title": "Cherry", "body": nil, "score": 3.0, "done": nil,
		"mail": nil, "site": nil, "day": nil, "at": nil, "color": nil, "tags": []any{}, "owner": nil, "readers": []any{},
		"file": nil, "meta": nil, "created": apptest.AnyTime, "updated": apptest.AnyTime})
	d = must(t, s, root.Access, q, map[string]any{"id": "00000000-0000-4000-8000-000000000000"})
	expectJSON(t, d, map[string]any{sh.items + "_by_pk": nil})
	// Back-relations, with their own arguments.
	d = must(t, s, root.Access, fmt.Sprintf(`{ %s(order_by: {name: asc}, limit: 10) { name owned: %s_via_owner(limit: 100) { title } read: %s_via_readers(order_by: {title: desc}, limit: 1) { title } } }`,
		sh.people, sh.items, sh.items), nil)
	expectJSON(t, d[sh.people], []any{
		map[string]any{"name": "Ann", "owned": []any{map[string]any{"title": "Apple pie"}}, "read": []any{map[string]any{"title": "Apple pie"}}},
		map[string]any{"name": "Bob", "owned": []any{map[string]any{"title": "banana"}}, "read": []any{map[string]any{"title": "Apple pie"}}},
	})
}

func TestDynamicWhereOperators(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	sh := newShop(t, s, root.Access)
	for _, c := range whereCases(sh) {
		d := must(t, s, root.Access, fmt.Sprintf(`{ %s(where: %s) { id } }`, sh.items, c.where), nil)
		got := ids(d[sh.items])
		sort.Slice(got, func(i, j int) bool { return got[i].(string) < got[j].(string) })
		want := append([]string{}, c.want...)
		sort.Strings(want)
		expectJSON(t, got, toAnyList(want))
	}
	whereOrderingAndMistakes(t, s, root, sh)
}

// whereCase is a where: argument over the shop's items and the items it matches.
type whereCase struct {
	where string
	want  []string
}

// whereCases cover every operator of where:, relation conditions included.
func whereCases(sh shop) []whereCase {
	return []whereCase{
		{`{title: {_eq: "banana"}}`, []string{sh.b}},
		{`{title: {_neq: "banana"}}`, []string{sh.a, sh.c}},
		{`{score: {_gt: 1.5}}`, []string{sh.b, sh.c}},
		{`{score: {_gte: 3}}`, []string{sh.b, sh.c}},
		{`{score: {_lt: 3}}`, []string{sh.a}},
		{`{score: {_lte: 3}}`, []string{sh.a, sh.c}},
		{`{score: {_in: [1.5, 7]}}`, []string{sh.a, sh.b}},
		{`{score: {_nin: [1.5, 7]}}`, []string{sh.c}},
		{`{title: {_in: []}}`, []string{}},
		{`{done: {_is_null: true}}`, []string{sh.c}},
		{`{done: {_is_null: false}}`, []string{sh.a, sh.b}},
		{`{done: {_eq: false}}`, []string{sh.b}},
		{`{title: {_like: "%an%"}}`, []string{sh.b}},
		{`{title: {_nlike: "%an%"}}`, []string{sh.a, sh.c}},
		{`{title: {_ilike: "c%"}}`, []string{sh.c}},
		{`{title: {_nilike: "c%"}}`, []string{sh.a, sh.b}},
		{`{title: {_regex: "^[A-Z]"}}`, []string{sh.a, sh.c}},
		{`{title: {_iregex: "^b"}}`, []string{sh.b}},
		{`{day: {_gt: "2026-02-01"}}`, []string{sh.b}},
		{`{at: {_lt: "2026-02-01T00:00:00Z"}}`, []string{sh.a}},
		{`{meta: {_contains: {k: 1}}}`, []string{sh.a}},
		{`{meta: {_has_key: "j"}}`, []string{sh.b}},
		{`{meta: {_is_null: true}}`, []string{sh.c}},
		{`{tags: {_contains: ["a"]}}`, []string{sh.a}},
		{`{tags: {_contained_in: ["c", "b"]}}`, []string{sh.b, sh.c}}, // an empty list is contained in any
		{`{tags: {_overlaps: ["b", "c"]}}`, []string{sh.a, sh.b}},
		{`{tags: {_is_null: true}}`, []string{sh.c}},
		{`{color: {_eq: "red"}}`, []string{sh.a}},
		{`{id: {_eq: "` + sh.b + `"}}`, []string{sh.b}},
		{`{id: {_in: ["` + sh.a + `", "` + sh.c + `"]}}`, []string{sh.a, sh.c}},
		{`{owner: {name: {_eq: "Bob"}}}`, []string{sh.b}},
		{`{readers: {name: {_eq: "Ann"}}}`, []string{sh.a}},
		{`{_or: [{score: {_eq: 7}}, {title: {_eq: "Cherry"}}]}`, []string{sh.b, sh.c}},
		{`{_and: [{score: {_gt: 1}}, {score: {_lt: 5}}]}`, []string{sh.a, sh.c}},
		{`{_not: {score: {_gt: 2}}}`, []string{sh.a}},
		{`{score: {_gt: 1, _lt: 5}, _not: {title: {_eq: "Cherry"}}}`, []string{sh.a}},
		{`{created: {_gt: "2000-01-01T00:00:00Z"}}`, []string{sh.a, sh.b, sh.c}},
		{`{readers: {}}`, []string{sh.a}},
		{`{_not: {owner: {name: {_eq: "Ann"}}}}`, []string{sh.b, sh.c}},
		{`{_or: []}`, []string{}},
		{`{_and: []}`, []string{sh.a, sh.b, sh.c}},
		{`{title: {_like: "%\\%"}}`, []string{}},
		{`{meta: {_contains: {list: ["x"]}}}`, []string{sh.a}},
		{`{readers: {id: {_eq: "` + sh.bob + `"}}}`, []string{sh.a}},
	}
}

func whereOrderingAndMistakes(t *testing.T, s *apptest.Server, root account, sh shop) {
	t.Helper()
	// Ordering and paging.
	order := func(arg string) []any {
		return ids(must(t, s, root.Access, fmt.Sprintf(`{ %s(%s) { id } }`, sh.items, arg), nil)[sh.items])
	}
	expectJSON(t, order(`order_by: {score: desc}`), []any{sh.b, sh.c, sh.a})
	expectJSON(t, order(`order_by: [{done: asc}, {score: asc}]`), []any{sh.b, sh.a, sh.c})
	expectJSON(t, order(`order_by: {done: asc_nulls_first}`), []any{sh.c, sh.b, sh.a})
	expectJSON(t, order(`order_by: {done: desc}`), []any{sh.c, sh.a, sh.b})
	expectJSON(t, order(`order_by: {done: desc_nulls_last}`), []any{sh.a, sh.b, sh.c})
	expectJSON(t, order(`order_by: {score: asc}, limit: 1, offset: 1`), []any{sh.c})
	// Mistakes are the client's.
	for _, bad := range []struct{ query, message string }{
		{`{ %s(limit: 1001) { id } }`, "limit must be between 0 and 1000"},
		{`{ %s(where: {title: {_regex: "("}}) { id } }`, "where: title: invalid pattern: missing closing ): ("},
		{`{ %s(where: {title: {_eq: null}}) { id } }`, "where: title._eq: null is not a value here (use _is_null)"},
	} {
		q := fmt.Sprintf(bad.query, sh.items)
		expectErrors(t, gql(t, s, q, nil, root.Access), nil, fieldErr(q, sh.items, bad.message, "BAD_USER_INPUT", nil))
	}
}

func toAnyList(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

func TestDynamicOperationShapes(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	sh := newShop(t, s, root.Access)
	// Aliases at every level, static and collection fields side by side,
	// root inline fragments and root fragment spreads, @skip/@include.
	q := fmt.Sprintf(`query($yes: Boolean!, $no: Boolean!, $id: ID!) {
  me { email }
  first: %[1]s(order_by: {score: asc}, limit: 1) { key: id name: title who: owner { n: name } }
  ... on Query { again: %[1]s_by_pk(id: $id) { title } }
  ...Root
  skipped: %[1]s @skip(if: $yes) { id }
  included: %[1]s_by_pk(id: $id) @include(if: $yes) { title score @skip(if: $no) done @include(if: $no) __typename }
  setup_needed
}
fragment Root on Query { viaFragment: %[1]s_by_pk(id: $id) { ...Item } }
fragment Item on %[1]s { title owner { name } }`, sh.items)
	d := must(t, s, root.Access, q, map[string]any{"yes": true, "no": false, "id": sh.b})
	expectJSON(t, d, map[string]any{
		"me":           map[string]any{"email": rootEmail},
		"first":        []any{map[string]any{"key": sh.a, "name": "Apple pie", "who": map[string]any{"n": "Ann"}}},
		"again":        map[string]any{"title": "banana"},
		"viaFragment":  map[string]any{"title": "banana", "owner": map[string]any{"name": "Bob"}},
		"included":     map[string]any{"title": "banana", "score": 7.0, "__typename": sh.items},
		"setup_needed": false,
	})
	// Key order follows the operation.
	r := gql(t, s, q, map[string]any{"yes": true, "no": false, "id": sh.b}, root.Access)
	body := string(r.Body)
	if !(strings.Index(body, `"me"`) < strings.Index(body, `"first"`) && strings.Index(body, `"first"`) < strings.Index(body, `"again"`) &&
		strings.Index(body, `"viaFragment"`) < strings.Index(body, `"included"`) && strings.Index(body, `"included"`) < strings.Index(body, `"setup_needed"`)) {
		t.Fatalf("response keys out of order: %s", body)
	}
	// The same operation twice (the document cache) gives the same answer.
	expectJSON(t, data(t, gql(t, s, q, map[string]any{"yes": false, "no": true, "id": sh.a}, root.Access))["included"], nil)
	expectJSON(t, data(t, gql(t, s, q, map[string]any{"yes": true, "no": false, "id": sh.a}, root.Access))["included"],
		map[string]any{"title": "Apple pie", "score": 1.5, "__typename": sh.items})
	// The carriers are not part of the served schema.
	for _, f := range []string{"_dyn", "_dyn_nn"} {
		q := `{ ` + f + ` }`
		r := gql(t, s, q, nil, root.Access)
		if r.Status == http.StatusOK && r.JSON(t)["errors"] == nil {
			t.Fatalf("%s answered: %s", f, r.Body)
		}
	}
}

func TestDynamicNulls(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("nulls"))
	secret := newName("secret")
	createColl(t, s, root.Access, secret, `[{name: "v", type: "text", validation: {max_length: 3}}]`, `, view_rule: ""`) // list_rule null: admins only
	id := insert(t, s, root.Access, secret, map[string]any{"v": "x"})
	// A failing non-null field nulls the whole data; a nullable one only itself.
	q := fmt.Sprintf(`{ me { id } %s { v } }`, secret)
	expectErrors(t, gql(t, s, q, nil, user.Access), nil,
		fieldErr(q, secret, "only admins may list records of "+secret, "FORBIDDEN", nil))
	q = fmt.Sprintf(`{ me { id } %s_by_pk(id: %q) { v } }`, secret, id)
	expectData(t, gql(t, s, q, nil, user.Access), map[string]any{"me": map[string]any{"id": user.ID}, secret + "_by_pk": map[string]any{"v": "x"}})
	// Anonymous callers are asked to sign in.
	q = fmt.Sprintf(`{ %s { v } }`, secret)
	expectErrors(t, gql(t, s, q, nil, ""), nil, fieldErr(q, secret, msgAuthRequired, "UNAUTHENTICATED", nil))
	// A mutation that fails leaves null in place and the next still runs.
	q = fmt.Sprintf(`mutation { bad: insert_%[1]s_one(object: {v: "long"}) { id } good: insert_%[1]s_one(object: {v: "ok"}) { v } }`, secret)
	expectErrors(t, gql(t, s, q, nil, root.Access), map[string]any{"bad": nil, "good": map[string]any{"v": "ok"}},
		map[string]any{"message": "v: must be at most 3 characters", "path": []any{"bad"}, "locations": locate(q, "bad:"),
			"extensions": map[string]any{"code": "BAD_USER_INPUT", "fields": map[string]any{"v": "must be at most 3 characters"}}})
}

func TestDynamicMutations(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	c := newName("counters")
	createColl(t, s, root.Access, c, `[{name: "name", type: "text", validation: {required: true}}, {name: "n", type: "number", validation: {max: 100}}]`,
		`, list_rule: "", view_rule: ""`)
	// Serial execution: each mutation sees the ones before it.
	q := fmt.Sprintf(`mutation {
  one: insert_%[1]s_one(object: {name: "a", n: 1}) { name n }
  many: insert_%[1]s(objects: [{name: "b", n: 2}, {name: "c", n: 3}]) { affected_rows returning { name } }
  bump: update_%[1]s(where: {n: {_gte: 2}}, _inc: {n: 10}) { affected_rows returning { n } }
  all: update_%[1]s(where: {}, _set: {name: "z"}, at_most: 2) { affected_rows }
  gone: delete_%[1]s(where: {n: {_lt: 5}}) { affected_rows returning { name } }
}`, c)
	body := gql(t, s, q, nil, root.Access).JSON(t)
	got := body["data"].(map[string]any)
	// Bulk writes return records in no promised order.
	bumped := got["bump"].(map[string]any)["returning"].([]any)
	sort.Slice(bumped, func(i, j int) bool {
		return bumped[i].(map[string]any)["n"].(float64) < bumped[j].(map[string]any)["n"].(float64)
	})
	expectJSON(t, body, map[string]any{"data": map[string]any{
		"one":  map[string]any{"name": "a", "n": 1.0},
		"many": map[string]any{"affected_rows": 2.0, "returning": []any{map[string]any{"name": "b"}, map[string]any{"name": "c"}}},
		"bump": map[string]any{"affected_rows": 2.0, "returning": []any{map[string]any{"n": 12.0}, map[string]any{"n": 13.0}}},
		"all":  nil,
		"gone": map[string]any{"affected_rows": 1.0, "returning": []any{map[string]any{"name": "a"}}},
	}, "errors": []any{map[string]any{"message": "more than at_most (2) records match; nothing was changed", "path": []any{"all"}, "locations": locate(q, "all:"),
		"extensions": map[string]any{"code": "BAD_USER_INPUT"}}}})
	d := must(t, s, root.Access, fmt.Sprintf(`{ %s(order_by: {n: asc}) { id name n } }`, c), nil)
	rows := d[c].([]any)
	expectJSON(t, rows, []any{map[string]any{"id": apptest.AnyUUID, "name": "b", "n": 12.0}, map[string]any{"id": apptest.AnyUUID, "name": "c", "n": 13.0}})
	b := rows[0].(map[string]any)["id"].(string)
	// by_pk updates and deletes; validation as over REST, whole batch or nothing.
	q = fmt.Sprintf(`mutation($id: ID!) { update_%[1]s_by_pk(pk_columns: {id: $id}, _set: {name: "B"}, _inc: {n: -2}) { name n } }`, c)
	expectData(t, gql(t, s, q, map[string]any{"id": b}, root.Access), map[string]any{"update_" + c + "_by_pk": map[string]any{"name": "B", "n": 10.0}})
	q = fmt.Sprintf(`mutation($id: ID!) { update_%[1]s_by_pk(pk_columns: {id: $id}, _inc: {n: 1000}) { n } }`, c)
	expectErrors(t, gql(t, s, q, map[string]any{"id": b}, root.Access), map[string]any{"update_" + c + "_by_pk": nil},
		fieldErr(q, "update_"+c+"_by_pk", "n: would become 1010, which must be at most 100", "BAD_USER_INPUT", map[string]string{"n": "would become 1010, which must be at most 100"}))
	q = fmt.Sprintf(`mutation { insert_%[1]s(objects: [{name: "ok"}, {n: 1}]) { affected_rows } }`, c)
	expectErrors(t, gql(t, s, q, nil, root.Access), map[string]any{"insert_" + c: nil},
		fieldErr(q, "insert_"+c, "objects.1.name: is required", "BAD_USER_INPUT", map[string]string{"objects.1.name": "is required"}))
	q = fmt.Sprintf(`mutation($id: ID!) { delete_%[1]s_by_pk(id: $id) { name } again: delete_%[1]s_by_pk(id: $id) { name } }`, c)
	expectData(t, gql(t, s, q, map[string]any{"id": b}, root.Access), map[string]any{"delete_" + c + "_by_pk": map[string]any{"name": "B"}, "again": nil})
	expectJSON(t, ids(must(t, s, root.Access, fmt.Sprintf(`{ %s { id } }`, c), nil)[c]), []any{apptest.AnyUUID})
}

func TestDynamicAggregateAndConnection(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	sh := newShop(t, s, root.Access)
	d := must(t, s, root.Access, fmt.Sprintf(`{ %s_aggregate(where: {score: {_gt: 1}}) { aggregate { count sum { score } avg { score } min { score } max { s: score } }
		nodes { title } } }`, sh.items), nil)
	expectJSON(t, d[sh.items+"_aggregate"], map[string]any{
		"aggregate": map[string]any{"count": 3.0, "sum": map[string]any{"score": 11.5}, "avg": map[string]any{"score": 11.5 / 3},
			"min": map[string]any{"score": 1.5}, "max": map[string]any{"s": 7.0}},
		"nodes": []any{map[string]any{"title": "Apple pie"}, map[string]any{"title": "banana"}, map[string]any{"title": "Cherry"}},
	})
	// Keyset pages forward and back, over a sort key with NULLs.
	page := func(args string) map[string]any {
		q := fmt.Sprintf(`{ c: %s_connection(order_by: {done: asc}, %s) { edges { cursor node { id } } page_info { has_next_page has_previous_page start_cursor end_cursor } } }`, sh.items, args)
		return must(t, s, root.Access, q, nil)["c"].(map[string]any)
	}
	nodes := func(p map[string]any) []any {
		out := []any{}
		for _, e := range p["edges"].([]any) {
			out = append(out, e.(map[string]any)["node"].(map[string]any)["id"])
		}
		return out
	}
	p1 := page(`first: 2`)
	expectJSON(t, nodes(p1), []any{sh.b, sh.a})
	info := p1["page_info"].(map[string]any)
	expectJSON(t, info["has_next_page"], true)
	p2 := page(fmt.Sprintf(`first: 2, after: %q`, info["end_cursor"]))
	expectJSON(t, nodes(p2), []any{sh.c})
	expectJSON(t, p2["page_info"].(map[string]any)["has_next_page"], false)
	expectJSON(t, p2["page_info"].(map[string]any)["has_previous_page"], true)
	p3 := page(fmt.Sprintf(`last: 1, before: %q`, p2["page_info"].(map[string]any)["start_cursor"]))
	expectJSON(t, nodes(p3), []any{sh.a})
	expectJSON(t, p3["page_info"].(map[string]any)["has_previous_page"], true)
	p4 := page(`last: 2`)
	expectJSON(t, nodes(p4), []any{sh.a, sh.c})
	// total_count only when asked; a bad cursor is the client's mistake.
	d = must(t, s, root.Access, fmt.Sprintf(`{ %s_connection(first: 1) { total_count } }`, sh.items), nil)
	expectJSON(t, d, map[string]any{sh.items + "_connection": map[string]any{"total_count": 3.0}})
	q := fmt.Sprintf(`{ %s_connection(after: "nope") { total_count } }`, sh.items)
	expectErrors(t, gql(t, s, q, nil, root.Access), nil, fieldErr(q, sh.items+"_connection", "after: invalid cursor", "BAD_USER_INPUT", nil))
}
