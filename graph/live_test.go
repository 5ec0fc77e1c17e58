package graph_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// Live queries (Subscription.X, X_by_pk, X_aggregate) over real
// websockets: the first result at once, then a new one whenever the result
// changes, and nothing when it does not.

// expectLive checks that subscription id delivers exactly value (of field) next.
func (c *wsClient) expectLive(id, field string, value any) {
	c.t.Helper()
	got, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for %v: %v", value, err)
	}
	want := map[string]any{"id": id, "type": resultType(c.proto), "payload": map[string]any{"data": map[string]any{field: value}}}
	if diff := apptest.Diff(got, want, "$"); diff != "" {
		c.t.Fatalf("%s\nmessage: %v", diff, got)
	}
}

// settle gives a live query time to run again (and wrongly send) after a
// write that must not change its result.
func settle() { time.Sleep(300 * time.Millisecond) }

func TestLiveQueryList(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			items := newName("liveitems")
			createColl(t, s, root.Access, items, `[{name: "name", type: "text"}, {name: "n", type: "number"}]`, `, list_rule: "", view_rule: "", create_rule: ""`)
			insert(t, s, root.Access, items, map[string]any{"name": "a", "n": 20})
			insert(t, s, root.Access, items, map[string]any{"name": "z", "n": 1})

			list := dialWS(t, s, proto, nil)
			list.init(nil)
			list.start("l", fmt.Sprintf(`subscription { %s(where: {n: {_gt: 10}}, order_by: {n: asc}) { name n } }`, items), nil)
			agg := dialWS(t, s, proto, nil)
			agg.init(nil)
			agg.start("a", fmt.Sprintf(`subscription { %s_aggregate(where: {n: {_gt: 10}}) { aggregate { count } } }`, items), nil)
			rec := func(name string, n float64) map[string]any { return map[string]any{"name": name, "n": n} }
			count := func(n float64) map[string]any { return map[string]any{"aggregate": map[string]any{"count": n}} }

			list.expectLive("l", items, []any{rec("a", 20)})
			agg.expectLive("a", items+"_aggregate", count(1))

			restCreate(t, s, "", items, map[string]any{"name": "b", "n": 30})
			list.expectLive("l", items, []any{rec("a", 20), rec("b", 30)})
			agg.expectLive("a", items+"_aggregate", count(2))

			// A write outside the filter changes nothing: no message; the
			// next one is the next change.
			restCreate(t, s, "", items, map[string]any{"name": "c", "n": 5})
			settle()
			restCreate(t, s, "", items, map[string]any{"name": "d", "n": 15})
			list.expectLive("l", items, []any{rec("d", 15), rec("a", 20), rec("b", 30)})
			agg.expectLive("a", items+"_aggregate", count(3))
		})
	}
}

func TestLiveQueryByPK(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			items := newName("livepk")
			createColl(t, s, root.Access, items, `[{name: "name", type: "text"}]`, `, view_rule: ""`)
			id := insert(t, s, root.Access, items, map[string]any{"name": "a"})
			other := insert(t, s, root.Access, items, map[string]any{"name": "o"})
			c := dialWS(t, s, proto, nil)
			c.init(nil)
			c.start("p", fmt.Sprintf(`subscription($id: ID!) { %s_by_pk(id: $id) { id name } }`, items), map[string]any{"id": id})
			field := items + "_by_pk"
			c.expectLive("p", field, map[string]any{"id": id, "name": "a"})
			// Another record's change leaves the result as it was.
			must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {name: "o2"}) { id } }`, items, other), nil)
			settle()
			must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {name: "a2"}) { id } }`, items, id), nil)
			c.expectLive("p", field, map[string]any{"id": id, "name": "a2"})
			if r := s.Do(t, http.MethodDelete, restRecords(items)+"/"+id, nil, root.Access); r.Status != http.StatusNoContent && r.Status != http.StatusOK {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			c.expectLive("p", field, nil)
		})
	}
}

func TestLiveQueryRules(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	alice, bob := register(t, s, newEmail("livealice")), register(t, s, newEmail("livebob"))
	posts := newName("liveposts")
	createColl(t, s, root.Access, posts, `[{name: "title", type: "text"}, {name: "owner", type: "text"}]`,
		`, list_rule: "owner = @request.auth.id", view_rule: "owner = @request.auth.id", create_rule: ""`)
	restCreate(t, s, bob.Access, posts, map[string]any{"title": "b0", "owner": bob.ID})
	q := fmt.Sprintf(`subscription { %s(order_by: {title: asc}) { title } }`, posts)
	ca := dialWS(t, s, transportWS, nil)
	ca.init(bearer(alice.Access))
	ca.start("l", q, nil)
	cr := dialWS(t, s, transportWS, nil)
	cr.init(bearer(root.Access))
	cr.start("l", q, nil)
	title := func(ts ...string) []any {
		out := []any{}
		for _, x := range ts {
			out = append(out, map[string]any{"title": x})
		}
		return out
	}
	ca.expectLive("l", posts, title())
	cr.expectLive("l", posts, title("b0"))
	// bob's record is hidden from alice: her list does not change.
	restCreate(t, s, bob.Access, posts, map[string]any{"title": "b1", "owner": bob.ID})
	cr.expectLive("l", posts, title("b0", "b1"))
	settle()
	restCreate(t, s, alice.Access, posts, map[string]any{"title": "a1", "owner": alice.ID})
	ca.expectLive("l", posts, title("a1"))
	cr.expectLive("l", posts, title("a1", "b0", "b1"))
}

func TestLiveQueryCollectionDeleted(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	gone := newName("livegone")
	createColl(t, s, root.Access, gone, `[{name: "n", type: "number"}]`, `, list_rule: ""`)
	c := dialWS(t, s, transportWS, nil)
	c.init(nil)
	c.start("g", fmt.Sprintf(`subscription { %s { n } }`, gone), nil)
	c.expectLive("g", gone, []any{})
	must(t, s, root.Access, fmt.Sprintf(`mutation { delete_collection(name: %q) }`, gone), nil)
	c.expect(map[string]any{"id": "g", "type": "error", "payload": []any{map[string]any{
		"message": fmt.Sprintf("collection %q was deleted", gone), "path": []any{gone}, "extensions": map[string]any{"code": "NOT_FOUND"}}}})
}

// TestLiveQueryRelation: a change of a record the selection reaches
// through a relation (forward or back) runs the query again.
func TestLiveQueryRelation(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	authors, books := newName("liveauthors"), newName("livebooks")
	createColl(t, s, root.Access, authors, `[{name: "name", type: "text"}]`, `, list_rule: "", view_rule: ""`)
	createColl(t, s, root.Access, books, fmt.Sprintf(`[{name: "title", type: "text"}, {name: "author", type: "relation", relation: {collection: %q}}]`, authors),
		`, list_rule: "", view_rule: ""`)
	a := insert(t, s, root.Access, authors, map[string]any{"name": "ann"})
	insert(t, s, root.Access, books, map[string]any{"title": "t1", "author": a})
	fwd := dialWS(t, s, transportWS, nil)
	fwd.init(nil)
	fwd.start("f", fmt.Sprintf(`subscription { %s { title author { name } } }`, books), nil)
	back := dialWS(t, s, transportWS, nil)
	back.init(nil)
	back.start("b", fmt.Sprintf(`subscription($id: ID!) { %s_by_pk(id: $id) { name %s_via_author(order_by: {title: asc}) { title } } }`, authors, books), map[string]any{"id": a})
	fwd.expectLive("f", books, []any{map[string]any{"title": "t1", "author": map[string]any{"name": "ann"}}})
	back.expectLive("b", authors+"_by_pk", map[string]any{"name": "ann", books + "_via_author": []any{map[string]any{"title": "t1"}}})
	must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {name: "bea"}) { id } }`, authors, a), nil)
	fwd.expectLive("f", books, []any{map[string]any{"title": "t1", "author": map[string]any{"name": "bea"}}})
	back.expectLive("b", authors+"_by_pk", map[string]any{"name": "bea", books + "_via_author": []any{map[string]any{"title": "t1"}}})
	insert(t, s, root.Access, books, map[string]any{"title": "t2", "author": a})
	back.expectLive("b", authors+"_by_pk", map[string]any{"name": "bea", books + "_via_author": []any{map[string]any{"title": "t1"}, map[string]any{"title": "t2"}}})
}

// TestLiveQueryStalledClient: a live query whose client stops reading
// holds up no one else. Two clients watch the same query (one shared
// statement); the stalled one's socket fills (40 results of 160 kB, more
// than the 4 MB the kernel buffers at most), and the other still sees
// every change as it is made.
func TestLiveQueryStalledClient(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.GraphQL.WSWriteTimeout = time.Hour })
	root := adminAccount(t, s)
	items := newName("livestall")
	createColl(t, s, root.Access, items, `[{name: "name", type: "text"}, {name: "body", type: "text"}, {name: "n", type: "number"}]`, `, list_rule: "", view_rule: ""`)
	body := strings.Repeat("b", 8000)
	var first string
	for i := range 20 {
		id := insert(t, s, root.Access, items, map[string]any{"name": fmt.Sprintf("r%02d", i), "body": body, "n": 0})
		if i == 0 {
			first = id
		}
	}
	q := fmt.Sprintf(`subscription { %s(order_by: {name: asc}) { name body n } }`, items)
	stalled, reader := dialSmallBuffer(t, s), dialWS(t, s, transportWS, nil)
	for _, c := range []*wsClient{stalled, reader} {
		c.init(nil)
		c.start("l", q, nil)
	}
	for n := 1; n <= 40; n++ {
		must(t, s, root.Access, fmt.Sprintf(`mutation($n: Float) { update_%s_by_pk(pk_columns: {id: %q}, _set: {n: $n}) { id } }`, items, first), map[string]any{"n": n})
		// Updates may be coalesced: read until the latest one shows.
		for {
			got, err := reader.read()
			if err != nil || got["type"] != "next" {
				t.Fatalf("reader, change %d: %v %v", n, got, err)
			}
			rows, _ := got["payload"].(map[string]any)["data"].(map[string]any)[items].([]any)
			if len(rows) == 20 && rows[0].(map[string]any)["n"] == float64(n) {
				break
			}
		}
	}
}
