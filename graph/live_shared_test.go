package graph_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// Shared live queries: subscribers of one shape are refreshed by one
// statement (graph/livegroup.go, records.RunLive), each with its own
// arguments. What each receives must be what its own query answers.

// liveSubscriber is one live query and the last result it received.
type liveSubscriber struct {
	c     *wsClient
	token string
	vars  map[string]any
	last  any
	seen  bool
}

// next reads the subscriber's next result and checks that it differs from
// the one before: only changed results are sent.
func (ls *liveSubscriber) next(t *testing.T, field string) {
	t.Helper()
	msg, err := ls.c.read()
	if err != nil {
		t.Fatalf("reading a live result: %v", err)
	}
	payload, _ := msg["payload"].(map[string]any)
	d, _ := payload["data"].(map[string]any)
	if d == nil {
		t.Fatalf("not a live result: %v", msg)
	}
	v := d[field]
	if ls.seen && apptest.Diff(v, ls.last, "$") == "" {
		t.Fatalf("a live query sent an unchanged result: %v", v)
	}
	ls.last, ls.seen = v, true
}

// await reads the subscriber's results until the last one is want.
func (ls *liveSubscriber) await(t *testing.T, field string, want any) {
	t.Helper()
	for !ls.seen || apptest.Diff(ls.last, want, "$") != "" {
		ls.next(t, field)
	}
}

// TestLiveQuerySharedMatchesQuery is a property test: subscribers of one
// live query document — admins, two users, anonymous callers, two values
// of a variable, two sockets each — follow random creates, updates and
// deletes, and after each round every subscriber's last result equals the
// same query run by its own caller over HTTP (the unshared read path).
func TestLiveQuerySharedMatchesQuery(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	alice, bob := register(t, s, newEmail("shalice")), register(t, s, newEmail("shbob"))
	items := newName("shared")
	rule := `owner = @request.auth.id || owner = ''`
	createColl(t, s, root.Access, items, `[{name: "name", type: "text"}, {name: "n", type: "number"}, {name: "owner", type: "text"}]`,
		fmt.Sprintf(`, list_rule: %q, view_rule: %q, create_rule: ""`, rule, rule))
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	owners := []string{alice.ID, bob.ID, ""}
	var ids []string
	create := func() {
		ids = append(ids, insert(t, s, root.Access, items, map[string]any{
			"name": fmt.Sprint("r", len(ids)), "n": rng.IntN(100), "owner": owners[rng.IntN(len(owners))]}))
	}
	for range 4 {
		create()
	}
	shared, _ := countStatements(t, items)
	doc := `%s %s($min: Float) { %s(where: {n: {_gte: $min}}, order_by: [{n: asc}, {name: asc}]) { name n owner } }`
	var subs []*liveSubscriber
	for _, token := range []string{root.Access, alice.Access, bob.Access, ""} {
		for _, min := range []float64{0, 50} {
			for range 2 {
				c := dialWS(t, s, transportWS, nil)
				if token == "" {
					c.init(nil)
				} else {
					c.init(bearer(token))
				}
				ls := &liveSubscriber{c: c, token: token, vars: map[string]any{"min": min}}
				c.start("l", fmt.Sprintf(doc, "subscription", "L", items), ls.vars)
				subs = append(subs, ls)
			}
		}
	}
	check := func() {
		t.Helper()
		for _, ls := range subs {
			ls.await(t, items, must(t, s, ls.token, fmt.Sprintf(doc, "query", "Q", items), ls.vars)[items])
		}
	}
	check()
	for range 8 {
		for range 1 + rng.IntN(4) {
			switch op := rng.IntN(4); {
			case op == 0 || len(ids) == 0:
				create()
			case op == 1:
				id := ids[rng.IntN(len(ids))]
				must(t, s, root.Access, fmt.Sprintf(`mutation($n: Float) { update_%s(where: {id: {_eq: %q}}, _set: {n: $n}) { affected_rows } }`, items, id),
					map[string]any{"n": rng.IntN(100)})
			case op == 2:
				id := ids[rng.IntN(len(ids))]
				must(t, s, root.Access, fmt.Sprintf(`mutation($o: String) { update_%s(where: {id: {_eq: %q}}, _set: {owner: $o}) { affected_rows } }`, items, id),
					map[string]any{"o": owners[rng.IntN(len(owners))]})
			default:
				k := rng.IntN(len(ids))
				if r := s.Do(t, http.MethodDelete, restRecords(items)+"/"+ids[k], nil, root.Access); r.Status != http.StatusNoContent {
					t.Fatalf("delete: %d %s", r.Status, r.Body)
				}
				ids = append(ids[:k], ids[k+1:]...)
			}
		}
		check()
	}
	if shared.Load() == 0 {
		t.Fatal("no refresh ran a shared statement")
	}
}

// TestLiveQuerySharedRelationRule: two users' live queries of one shape
// under a view rule through a relation are refreshed by one statement per
// write, and each sees only what the rule lets it; a write to the related
// collection (reached only through the rule) refreshes them too.
func TestLiveQuerySharedRelationRule(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	alice, bob := register(t, s, newEmail("shrelalice")), register(t, s, newEmail("shrelbob"))
	teams, notes, team := teamNotes(t, s, root.Access, `, list_rule: RULE, view_rule: RULE`, alice, bob)
	t1, t2 := team[0], team[1]
	q := fmt.Sprintf(`subscription { %s(order_by: [{body: asc}]) { body } }`, notes)
	open := func(a account) *liveSubscriber {
		c := dialWS(t, s, transportWS, nil)
		c.init(bearer(a.Access))
		c.start("l", q, nil)
		ls := &liveSubscriber{c: c}
		ls.next(t, notes)
		return ls
	}
	a1, a2, b := open(alice), open(alice), open(bob)
	bodies := func(xs ...string) []any {
		out := []any{}
		for _, x := range xs {
			out = append(out, map[string]any{"body": x})
		}
		return out
	}
	for _, ls := range []*liveSubscriber{a1, a2, b} {
		if apptest.Diff(ls.last, bodies(), "$") != "" {
			t.Fatalf("first result %v, want none", ls.last)
		}
	}

	shared, alone := countStatements(t, notes)
	insert(t, s, root.Access, notes, map[string]any{"body": "a1", "team": t1})
	a1.next(t, notes)
	a2.next(t, notes)
	for _, ls := range []*liveSubscriber{a1, a2} {
		if diff := apptest.Diff(ls.last, bodies("a1"), "$"); diff != "" {
			t.Fatal(diff)
		}
	}
	settle()
	if n, m := shared.Load(), alone.Load(); n != 1 || m != 0 {
		t.Fatalf("one write refreshed 3 subscribers with %d shared and %d other statements, want 1 and 0", n, m)
	}
	// bob got nothing for a1: his next result is his own note.
	restCreate(t, s, root.Access, notes, map[string]any{"body": "b1", "team": t2})
	b.next(t, notes)
	if diff := apptest.Diff(b.last, bodies("b1"), "$"); diff != "" {
		t.Fatal(diff)
	}
	// The team changes hands: notes did not change, the rule's answer did.
	must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {lead: %q}) { id } }`, teams, t1, bob.ID), nil)
	b.next(t, notes)
	if diff := apptest.Diff(b.last, bodies("a1", "b1"), "$"); diff != "" {
		t.Fatal(diff)
	}
	// alice's next result drops a1; she never saw b1.
	for _, ls := range []*liveSubscriber{a1, a2} {
		ls.next(t, notes)
		if diff := apptest.Diff(ls.last, bodies(), "$"); diff != "" {
			t.Fatal(diff)
		}
	}
}
