package graph_test

import (
	"fmt"
	"sort"
	"testing"

	"fastcms/internal/apptest"
)

// The same where: selects the same records as a query and as a
// subscription filter: both are one AST with two back ends. Each
// subscription replays the shop's inserts; a sentinel record inserted last
// (matched by id) tells the replay is over.
func TestWhereSubscriptionMatchesQuery(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	after := logEnd(t, s)
	sh := newShop(t, s, root.Access)
	sentinel := insert(t, s, root.Access, sh.items, map[string]any{"title": "sentinel"})
	for _, proto := range []string{transportWS, legacyWS} {
		var c *wsClient
		for i, wc := range whereCases(sh) {
			if i%10 == 0 { // a few subscriptions per socket, under any cap
				if c != nil {
					c.conn.Close()
				}
				c = dialWS(t, s, proto, nil)
				c.init(bearer(root.Access))
			}
			queried := ids(must(t, s, root.Access, fmt.Sprintf(`{ %s(where: {_and: [%s, {id: {_neq: %q}}]}) { id } }`, sh.items, wc.where, sentinel), nil)[sh.items])
			id := fmt.Sprint(i)
			field := sh.items + "_mutated"
			c.start(id, fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a, events: [INSERT], where: {_or: [%s, {id: {_eq: %q}}]}) { id } }`,
				field, wc.where, sentinel), map[string]any{"a": after})
			var delivered []any
			for {
				msg, err := c.read()
				if err != nil {
					t.Fatalf("%s %s: %v", proto, wc.where, err)
				}
				ev, _ := msg["payload"].(map[string]any)["data"].(map[string]any)[field].(map[string]any)
				if ev == nil {
					t.Fatalf("%s %s: %v", proto, wc.where, msg)
				}
				if ev["id"] == sentinel {
					break
				}
				delivered = append(delivered, ev["id"])
			}
			byString := func(l []any) []any {
				sort.Slice(l, func(i, j int) bool { return l[i].(string) < l[j].(string) })
				return l
			}
			if d := apptest.Diff(byString(delivered), byString(queried), "$"); d != "" {
				t.Errorf("%s: where %s: the subscription and the query disagree: %s", proto, wc.where, d)
			}
		}
	}
}

// Finding 2 of the 2026-12-01 security review, over GraphQL: relation
// conditions in where: see only the related records the caller may view,
// in lists, aggregates, connections, mutations and subscriptions, through
// single and multi relations.
func TestSecurity02RelationWhereViewRule(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	u := register(t, s, newEmail("sec02"))
	authors, posts := newName("authors"), newName("posts")
	createColl(t, s, root.Access, authors, `[{name: "name", type: "text"}, {name: "email", type: "email"}]`, ``)
	createColl(t, s, root.Access, posts, fmt.Sprintf(`[{name: "title", type: "text"},
		{name: "author", type: "relation", relation: {collection: %q}},
		{name: "coauthors", type: "relation", relation: {collection: %q, max_select: 3}}]`, authors, authors),
		`, list_rule: "", view_rule: "", update_rule: "@request.auth.id != ''", delete_rule: "@request.auth.id != ''"`)
	sarah := insert(t, s, root.Access, authors, map[string]any{"name": "Secret Sarah", "email": "sarah@hidden.example"})
	p1 := insert(t, s, root.Access, posts, map[string]any{"title": "p1", "author": sarah, "coauthors": []any{sarah}})

	probe := fmt.Sprintf(`{
  a: %[1]s(where: {author: {email: {_like: "sarah@%%"}}}, limit: 10) { id }
  m: %[1]s(where: {coauthors: {email: {_ilike: "%%SARAH%%"}}}, limit: 10) { id }
  c: %[1]s_aggregate(where: {author: {name: {_regex: "^Secret S"}}}) { aggregate { count } }
  n: %[1]s_aggregate(where: {_not: {author: {name: {_regex: "^Secret S"}}}}) { aggregate { count } }
  e: %[1]s_connection(where: {author: {email: {_eq: "sarah@hidden.example"}}}, first: 10) { edges { node { id } } }
}`, posts)
	for _, token := range []string{"", u.Access} {
		expectJSON(t, must(t, s, token, probe, nil), map[string]any{"a": []any{}, "m": []any{},
			"c": map[string]any{"aggregate": map[string]any{"count": 0.0}}, "n": map[string]any{"aggregate": map[string]any{"count": 1.0}},
			"e": map[string]any{"edges": []any{}}})
	}
	expectJSON(t, must(t, s, root.Access, probe, nil), map[string]any{"a": []any{map[string]any{"id": p1}}, "m": []any{map[string]any{"id": p1}},
		"c": map[string]any{"aggregate": map[string]any{"count": 1.0}}, "n": map[string]any{"aggregate": map[string]any{"count": 0.0}},
		"e": map[string]any{"edges": []any{map[string]any{"node": map[string]any{"id": p1}}}}})
	// Mutations match with the same where:, so they cannot probe either.
	expectJSON(t, must(t, s, u.Access, fmt.Sprintf(`mutation { update_%s(where: {author: {email: {_like: "sarah@%%"}}}, _set: {title: "x"}) { affected_rows } }`, posts), nil),
		map[string]any{"update_" + posts: map[string]any{"affected_rows": 0.0}})
	expectJSON(t, must(t, s, u.Access, fmt.Sprintf(`mutation { delete_%s(where: {coauthors: {name: {_eq: "Secret Sarah"}}}) { affected_rows } }`, posts), nil),
		map[string]any{"delete_" + posts: map[string]any{"affected_rows": 0.0}})

	// Subscriptions: the user's filter never matches through the hidden
	// author; the admin's does. A marker record ends each wait.
	for _, proto := range []string{transportWS, legacyWS} {
		after := logEnd(t, s)
		field := posts + "_mutated"
		sub := fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a, where: {_or: [{author: {email: {_like: "sarah@%%"}}}, {title: {_eq: "marker"}}]}) { data { title } } }`, field)
		user, admin := dialWS(t, s, proto, nil), dialWS(t, s, proto, nil)
		user.init(bearer(u.Access))
		admin.init(bearer(root.Access))
		user.start("s", sub, map[string]any{"a": after})
		admin.start("s", sub, map[string]any{"a": after})
		insert(t, s, root.Access, posts, map[string]any{"title": "by sarah", "author": sarah})
		insert(t, s, root.Access, posts, map[string]any{"title": "marker"})
		admin.expectEvent("s", field, map[string]any{"data": map[string]any{"title": "by sarah"}})
		admin.expectEvent("s", field, map[string]any{"data": map[string]any{"title": "marker"}})
		user.expectEvent("s", field, map[string]any{"data": map[string]any{"title": "marker"}})
	}
}

// Finding 5: _regex and _iregex take only patterns that RE2 and
// PostgreSQL read alike, so no pattern can make PostgreSQL backtrack for
// long (no backreferences, no lookaround), in queries and subscriptions.
func TestSecurity05RegexRefused(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	sh := newShop(t, s, root.Access)
	for _, c := range []struct{ pattern, message string }{
		{`^(x*)(x*)(x*)(x*)(x*)\1\2\3\4\5y$`, `where: title: invalid pattern: the escape \1 is not supported`},
		{`a(?=b)`, `where: title: invalid pattern: groups starting with (? are not supported`},
		{`(?i)apple`, `where: title: invalid pattern: groups starting with (? are not supported`},
		{`\bapple`, `where: title: invalid pattern: the escape \b is not supported`},
		{`\pL`, `where: title: invalid pattern: the escape \p is not supported`},
		{`\d+`, `where: title: invalid pattern: the escape \d is not supported`},
		{`[[:alpha:]]`, `where: title: invalid pattern: character classes such as [:alpha:] are not supported`},
	} {
		for _, op := range []string{"_regex", "_iregex"} {
			q := fmt.Sprintf(`query($p: String!) { %s(where: {title: {%s: $p}}) { id } }`, sh.items, op)
			expectErrors(t, gql(t, s, q, map[string]any{"p": c.pattern}, root.Access), nil, fieldErr(q, sh.items, c.message, "BAD_USER_INPUT", nil))
		}
	}
	// What both engines share still works, the same in both.
	d := must(t, s, root.Access, fmt.Sprintf(`query($p: String!) { %s(where: {title: {_iregex: $p}}, order_by: {title: asc}) { title } }`, sh.items),
		map[string]any{"p": `^(apple|ch)[a-z]* ?[a-z]*$`})
	expectJSON(t, d[sh.items], []any{map[string]any{"title": "Apple pie"}, map[string]any{"title": "Cherry"}})
}
