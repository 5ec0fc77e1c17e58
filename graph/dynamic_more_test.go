package graph_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/records"
)

func TestDynamicUpdateMany(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	c := newName("tallies")
	createColl(t, s, root.Access, c, `[{name: "name", type: "text", validation: {required: true}}, {name: "n", type: "number", validation: {max: 100}}]`,
		`, list_rule: "", view_rule: "", update_rule: "n < 50"`)
	a := insert(t, s, root.Access, c, map[string]any{"name": "a", "n": 1})
	b := insert(t, s, root.Access, c, map[string]any{"name": "b", "n": 2})
	z := insert(t, s, root.Access, c, map[string]any{"name": "z", "n": 60})
	state := func() []any {
		return must(t, s, root.Access, fmt.Sprintf(`{ %s(order_by: [{name: asc}, {n: asc}]) { id name n } }`, c), nil)[c].([]any)
	}
	rec := func(id, name string, n float64) map[string]any { return map[string]any{"id": id, "name": name, "n": n} }

	// Two updates in order: the second sees what the first did; each
	// answers with its own response.
	q := fmt.Sprintf(`mutation { update_%[1]s_many(updates: [
  {where: {name: {_eq: "a"}}, _inc: {n: 10}},
  {where: {n: {_gte: 10}}, _set: {name: "big"}, _inc: {n: 1}}
]) { affected_rows returning { id name n } } }`, c)
	d := must(t, s, root.Access, q, nil)
	// Bulk writes return records in no promised order.
	for _, r := range d["update_"+c+"_many"].([]any) {
		ret := r.(map[string]any)["returning"].([]any)
		sort.Slice(ret, func(i, j int) bool {
			return ret[i].(map[string]any)["n"].(float64) < ret[j].(map[string]any)["n"].(float64)
		})
	}
	expectJSON(t, d, map[string]any{"update_" + c + "_many": []any{
		map[string]any{"affected_rows": 1.0, "returning": []any{rec(a, "a", 11)}},
		map[string]any{"affected_rows": 2.0, "returning": []any{rec(a, "big", 12), rec(z, "big", 61)}},
	}})
	expectJSON(t, state(), []any{rec(b, "b", 2), rec(a, "big", 12), rec(z, "big", 61)})

	// One failing update rolls back all of them, the ones before it too.
	q = fmt.Sprintf(`mutation { update_%[1]s_many(updates: [
  {where: {name: {_eq: "b"}}, _set: {name: "changed"}},
  {where: {id: {_eq: %[2]q}}, _inc: {n: 1000}}
]) { affected_rows } }`, c, a)
	expectErrors(t, gql(t, s, q, nil, root.Access), map[string]any{"update_" + c + "_many": nil},
		fieldErr(q, "update_"+c+"_many", "updates.1.n: would become 1012, which must be at most 100", "BAD_USER_INPUT",
			map[string]string{"updates.1.n": "would become 1012, which must be at most 100"}))
	// Validation of the data names the update it is in.
	q = fmt.Sprintf(`mutation { update_%[1]s_many(updates: [
  {where: {name: {_eq: "b"}}, _set: {n: 7}},
  {where: {name: {_eq: "b"}}, _set: {name: null}}
]) { affected_rows } }`, c)
	expectErrors(t, gql(t, s, q, nil, root.Access), map[string]any{"update_" + c + "_many": nil},
		fieldErr(q, "update_"+c+"_many", "updates.1.name: is required", "BAD_USER_INPUT", map[string]string{"updates.1.name": "is required"}))
	expectJSON(t, state(), []any{rec(b, "b", 2), rec(a, "big", 12), rec(z, "big", 61)})

	// Each update has the default at_most of update_X.
	many := newName("many")
	createColl(t, s, root.Access, many, `[{name: "v", type: "number"}]`, `, list_rule: "", view_rule: "", update_rule: ""`)
	objects := make([]any, records.DefaultAtMost+1)
	for i := range objects {
		objects[i] = map[string]any{"v": float64(i)}
	}
	must(t, s, root.Access, fmt.Sprintf(`mutation($o: [%[1]s_insert_input!]!) { a: insert_%[1]s(objects: $o) { affected_rows } }`, many),
		map[string]any{"o": objects[:records.DefaultAtMost]})
	insert(t, s, root.Access, many, map[string]any{"v": float64(records.DefaultAtMost)})
	q = fmt.Sprintf(`mutation { update_%[1]s_many(updates: [{where: {v: {_eq: 0}}, _inc: {v: 1000}}, {where: {}, _inc: {v: 1}}]) { affected_rows } }`, many)
	expectErrors(t, gql(t, s, q, nil, root.Access), map[string]any{"update_" + many + "_many": nil},
		fieldErr(q, "update_"+many+"_many", fmt.Sprintf("more than at_most (%d) records match; nothing was changed", records.DefaultAtMost), "BAD_USER_INPUT", nil))
	d = must(t, s, root.Access, fmt.Sprintf(`{ %s_aggregate { aggregate { count max { v } } } }`, many), nil)
	expectJSON(t, d, map[string]any{many + "_aggregate": map[string]any{"aggregate": map[string]any{"count": 101.0, "max": map[string]any{"v": 100.0}}}})

	// Rules: a user's update touches only what update_rule allows; no
	// updates at all is an empty answer.
	user := register(t, s, newEmail("many"))
	q = fmt.Sprintf(`mutation { update_%[1]s_many(updates: [{where: {}, _inc: {n: 1}}, {where: {name: {_eq: "big"}}, _set: {name: "mine"}}]) { affected_rows returning { id } }
  none: update_%[1]s_many(updates: []) { affected_rows } }`, c)
	expectData(t, gql(t, s, q, nil, user.Access), map[string]any{"update_" + c + "_many": []any{
		map[string]any{"affected_rows": 2.0, "returning": []any{map[string]any{"id": apptest.AnyUUID}, map[string]any{"id": apptest.AnyUUID}}},
		map[string]any{"affected_rows": 1.0, "returning": []any{map[string]any{"id": a}}},
	}, "none": []any{}})
	expectJSON(t, state(), []any{rec(b, "b", 3), rec(z, "big", 61), rec(a, "mine", 13)})
}

func TestDynamicOrderByRank(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	docs := newName("docs")
	createColl(t, s, root.Access, docs, `[{name: "title", type: "text"}, {name: "body", type: "text"}]`, `, list_rule: "", view_rule: ""`)
	// Created in the order weak, strong, none: a hit in the title (the
	// first field) ranks above one in the body.
	weak := insert(t, s, root.Access, docs, map[string]any{"title": "dog", "body": "a cat"})
	strong := insert(t, s, root.Access, docs, map[string]any{"title": "cat", "body": "sleeps"})
	insert(t, s, root.Access, docs, map[string]any{"title": "fish", "body": "bird"})
	list := func(args string) []any {
		return ids(must(t, s, root.Access, fmt.Sprintf(`{ %s(%s) { id } }`, docs, args), nil)[docs])
	}
	expectJSON(t, list(`search: "cat"`), []any{weak, strong})
	expectJSON(t, list(`search: "cat", order_by: {_rank: desc}`), []any{strong, weak})
	expectJSON(t, list(`search: "cat", order_by: [{_rank: asc}]`), []any{weak, strong})
	expectJSON(t, list(`search: "cat", order_by: {_rank: desc}, limit: 1, offset: 1`), []any{weak})
	d := must(t, s, root.Access, fmt.Sprintf(`{ %s_aggregate(search: "cat", order_by: {_rank: desc}) { aggregate { count } nodes { title } } }`, docs), nil)
	expectJSON(t, d, map[string]any{docs + "_aggregate": map[string]any{"aggregate": map[string]any{"count": 2.0},
		"nodes": []any{map[string]any{"title": "cat"}, map[string]any{"title": "dog"}}}})
	// Connections page over the rank, forward and back.
	page := func(args string) map[string]any {
		q := fmt.Sprintf(`{ c: %s_connection(search: "cat", order_by: {_rank: desc}, %s) { edges { node { id } } page_info { has_next_page end_cursor start_cursor } } }`, docs, args)
		return must(t, s, root.Access, q, nil)["c"].(map[string]any)
	}
	node := func(p map[string]any) []any {
		out := []any{}
		for _, e := range p["edges"].([]any) {
			out = append(out, e.(map[string]any)["node"].(map[string]any)["id"])
		}
		return out
	}
	p1 := page(`first: 1`)
	expectJSON(t, node(p1), []any{strong})
	p2 := page(fmt.Sprintf(`first: 1, after: %q`, p1["page_info"].(map[string]any)["end_cursor"]))
	expectJSON(t, node(p2), []any{weak})
	expectJSON(t, p2["page_info"].(map[string]any)["has_next_page"], false)
	p3 := page(fmt.Sprintf(`last: 1, before: %q`, p2["page_info"].(map[string]any)["start_cursor"]))
	expectJSON(t, node(p3), []any{strong})

	// Without search there is no rank: not at the root, not in a nested list.
	people := newName("people")
	createColl(t, s, root.Access, people, fmt.Sprintf(`[{name: "name", type: "text"}, {name: "doc", type: "relation", relation: {collection: %q}}]`, docs),
		`, list_rule: "", view_rule: ""`)
	for _, bad := range []struct{ field, query string }{
		{docs, `{ %s(order_by: {_rank: desc}) { id } }`},
		{docs, `{ %s(search: "  ", order_by: {_rank: desc}) { id } }`},
		{docs + "_connection", `{ %s_connection(order_by: {_rank: desc}) { total_count } }`},
		{docs, `{ %s(search: "cat", limit: 10) { id ` + people + `_via_doc(order_by: {_rank: desc}, limit: 10) { id } } }`},
	} {
		q := fmt.Sprintf(bad.query, docs)
		expectErrors(t, gql(t, s, q, nil, root.Access), nil, fieldErr(q, bad.field, "order_by: _rank needs search", "BAD_USER_INPUT", nil))
	}
}

// update_X with where: {id: {_in: [...]}} matches by the primary key, as
// one = ANY of a uuid array, and means what any other where means.
// Not parallel: the statement observer is process-wide, and the package's
// serial tests run before its parallel ones.
func TestDynamicUpdateIDIn(t *testing.T) {
	s := apptest.Start(t)
	root := adminAccount(t, s)
	sh := newShop(t, s, root.Access)
	var mu sync.Mutex
	var stmts []string
	stop := records.ObserveStatements(func(q string) {
		mu.Lock()
		defer mu.Unlock()
		stmts = append(stmts, q)
	})
	q := fmt.Sprintf(`mutation($ids: [ID!]) { update_%s(where: {id: {_in: $ids}}, _inc: {score: 1}) { affected_rows returning { score } } }`, sh.items)
	d := must(t, s, root.Access, q, map[string]any{"ids": []any{sh.a, sh.c, "00000000-0000-4000-8000-000000000000"}})
	stop()
	mu.Lock()
	defer mu.Unlock()
	ret := d["update_"+sh.items].(map[string]any)
	sort.Slice(ret["returning"].([]any), func(i, j int) bool {
		return ret["returning"].([]any)[i].(map[string]any)["score"].(float64) < ret["returning"].([]any)[j].(map[string]any)["score"].(float64)
	})
	expectJSON(t, ret, map[string]any{"affected_rows": 2.0, "returning": []any{map[string]any{"score": 2.5}, map[string]any{"score": 4.0}}})
	found := false
	for _, st := range stmts {
		if strings.HasPrefix(st, "SELECT") && strings.Contains(st, `"r"."id" = ANY($`) && strings.Contains(st, "FOR UPDATE") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no match by id = ANY(uuid[]) among %q", stmts)
	}
	// An empty list matches nothing; a value that is not a UUID is the
	// client's mistake, as in any where.
	d = must(t, s, root.Access, q, map[string]any{"ids": []any{}})
	expectJSON(t, d, map[string]any{"update_" + sh.items: map[string]any{"affected_rows": 0.0, "returning": []any{}}})
	expectJSON(t, must(t, s, root.Access, fmt.Sprintf(`{ %s(order_by: {score: asc}) { score } }`, sh.items), nil)[sh.items],
		[]any{map[string]any{"score": 2.5}, map[string]any{"score": 4.0}, map[string]any{"score": 7.0}})
}
