package graph_test

import (
	"fmt"
	"testing"

	"fastcms/internal/apptest"
)

// msgRightsChanged is why a socket closes when its user's rights change.
const msgRightsChanged = "the user's role, email or verification changed: connect again"

// Finding 11: a socket whose user is demoted (or whose email or verified
// flag changes) closes with 4403, ending its X_mutated subscriptions and
// live queries, which hold the rights they started with; a change that
// takes nothing away (the name, a promotion: see TestWebsocketFollowsSession)
// keeps it open.
func TestSecurity11SubscriberRightsChange(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	posts := newName("demo_posts")
	createColl(t, s, root.Access, posts, `[{name: "title", type: "text"}, {name: "score", type: "number", hidden: true}]`,
		`, list_rule: "", view_rule: ""`)
	field := posts + "_mutated"
	id := insert(t, s, root.Access, posts, map[string]any{"title": "p", "score": 77})
	update := func(title string) {
		must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {title: %q}) { id } }`, posts, id, title), nil)
	}
	setUser := func(userID, args string) {
		must(t, s, root.Access, fmt.Sprintf(`mutation { update_user(id: %q, %s) { id } }`, userID, args), nil)
	}

	for _, tc := range []struct {
		name, change string
		admin        bool // the subscriber starts as an admin, who sees score
	}{
		{"demoted", `role: "user"`, true},
		{"email", `email: %q`, false},
		{"verified", `verified: true`, false},
	} {
		for _, proto := range protocols {
			t.Run(tc.name+" "+proto, func(t *testing.T) {
				sel, score := "title", map[string]any{}
				if tc.admin {
					sel, score = "title score", map[string]any{"score": 77.0}
				}
				record := func(title string) map[string]any {
					r := map[string]any{"title": title}
					for k, v := range score {
						r[k] = v
					}
					return r
				}
				mutated := fmt.Sprintf(`subscription($a: String) { %s(events: [UPDATE], after_seq: $a) { data { %s } } }`, field, sel)
				live := fmt.Sprintf(`subscription { %s { %s } }`, posts, sel)
				u := register(t, s, newEmail("rights"))
				if tc.admin {
					setUser(u.ID, `role: "admin"`)
				}
				c := dialWS(t, s, proto, nil)
				c.init(bearer(u.Access))
				c.start("m", mutated, map[string]any{"a": logEnd(t, s)})
				c.start("l", live, nil)
				first, err := c.read()
				if err != nil {
					t.Fatal(err)
				}
				if first["id"] != "l" {
					t.Fatalf("want the live query's first result, got %v", first)
				}

				// A change of name alone keeps the socket and its rights.
				setUser(u.ID, `name: "renamed"`)
				update(tc.name + "1")
				c.expectEvent("m", field, map[string]any{"data": record(tc.name + "1")})
				c.expect(map[string]any{"id": "l", "type": resultType(proto), "payload": map[string]any{"data": map[string]any{
					posts: []any{record(tc.name + "1")}}}})

				change := tc.change
				if tc.name == "email" {
					change = fmt.Sprintf(change, newEmail("moved"))
				}
				setUser(u.ID, change)
				update(tc.name + "2")
				c.expectClosed(4403, msgRightsChanged)
			})
		}
	}
}
