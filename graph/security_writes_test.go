package graph_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

// TestSecurity03MutationsHonourViewRule: update_X, update_X_by_pk,
// update_X_many, delete_X and delete_X_by_pk never reach a record the
// caller's view rule hides, even when the write rule is broader, and
// at_most does not count hidden records (no oracle over them).
func TestSecurity03MutationsHonourViewRule(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	alice, bob := register(t, s, newEmail("alice")), register(t, s, newEmail("bob"))
	n := newName("notes")
	createColl(t, s, root.Access, n, `[{name: "owner", type: "text"}, {name: "body", type: "text"}, {name: "likes", type: "number"}]`,
		`, list_rule: "owner = @request.auth.id", view_rule: "owner = @request.auth.id", update_rule: "@request.auth.id != '' && @request.data.body = null", delete_rule: "@request.auth.id != ''"`)
	bobs := insert(t, s, root.Access, n, map[string]any{"owner": bob.ID, "body": "salary of CEO is 900k", "likes": 0})
	alices := insert(t, s, root.Access, n, map[string]any{"owner": alice.ID, "body": "mine", "likes": 0})
	id := map[string]any{"id": bobs}

	cases := []struct{ query, want string }{
		{`mutation($id: ID!) { x: update_%s_by_pk(pk_columns: {id: $id}, _inc: {likes: 1}) { id body } }`, `{"x":null}`},
		{`mutation($id: ID!) { x: update_%s(where: {id: {_eq: $id}}, _inc: {likes: 1}) { affected_rows returning { id body } } }`, `{"x":{"affected_rows":0,"returning":[]}}`},
		{`mutation($id: ID!) { x: update_%s(where: {id: {_in: [$id]}}, _inc: {likes: 1}) { affected_rows } }`, `{"x":{"affected_rows":0}}`},
		{`mutation { x: update_%s(where: {body: {_like: "%%CEO is 9%%"}}, _inc: {likes: 0}, at_most: 0) { affected_rows } }`, `{"x":{"affected_rows":0}}`},
		{`mutation($id: ID!) { x: update_%s_many(updates: [{where: {id: {_eq: $id}}, _inc: {likes: 1}}]) { affected_rows } }`, `{"x":[{"affected_rows":0}]}`},
		{`mutation { x: delete_%s(where: {body: {_like: "%%CEO%%"}}, at_most: 0) { affected_rows returning { id } } }`, `{"x":{"affected_rows":0,"returning":[]}}`},
		{`mutation($id: ID!) { x: delete_%s_by_pk(id: $id) { id } }`, `{"x":null}`},
	}
	for _, c := range cases {
		q := fmt.Sprintf(c.query, n)
		var vars map[string]any
		if strings.Contains(c.query, "$id") {
			vars = id
		}
		r := gql(t, s, q, vars, alice.Access)
		if r.Status != http.StatusOK || string(r.Body) != `{"data":`+c.want+`}` {
			t.Errorf("%s\ngot %d %s\nwant %s", q, r.Status, r.Body, c.want)
		}
	}
	// Alice's own note is reachable; a where that matches every row
	// touches only hers.
	q := fmt.Sprintf(`mutation { x: update_%s(where: {}, _inc: {likes: 1}) { affected_rows returning { id } } }`, n)
	expectData(t, gql(t, s, q, nil, alice.Access), map[string]any{"x": map[string]any{"affected_rows": 1.0, "returning": []any{map[string]any{"id": alices}}}})
	// Bob's note is untouched.
	q = fmt.Sprintf(`{ %s(order_by: {created: asc}) { id owner body likes } }`, n)
	expectData(t, gql(t, s, q, nil, root.Access), map[string]any{n: []any{
		map[string]any{"id": bobs, "owner": bob.ID, "body": "salary of CEO is 900k", "likes": 0.0},
		map[string]any{"id": alices, "owner": alice.ID, "body": "mine", "likes": 1.0},
	}})
}

// TestSecurity08NullRuleRefusesBeforeValidation: GraphQL inserts and
// updates refuse a caller a null rule shuts out before validating the
// objects (no unique-value oracle, no field names).
func TestSecurity08NullRuleRefusesBeforeValidation(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("prober"))
	n := newName("authors")
	createColl(t, s, root.Access, n, `[{name: "email", type: "email", validation: {unique: true}}, {name: "salary", type: "number", hidden: true}]`, `, list_rule: "", view_rule: ""`)
	insert(t, s, root.Access, n, map[string]any{"email": "sarah@hidden.example"})
	for _, f := range []struct{ field, query string }{
		{"insert_" + n + "_one", `mutation { insert_%s_one(object: {email: "sarah@hidden.example"}) { id } }`},
		{"insert_" + n, `mutation { insert_%s(objects: [{email: "sarah@hidden.example"}, {email: "bad"}]) { affected_rows } }`},
		{"update_" + n, `mutation { update_%s(where: {}, _set: {email: "not an email"}) { affected_rows } }`},
		{"update_" + n + "_many", `mutation { update_%s_many(updates: [{where: {}, _set: {email: "not an email"}}]) { affected_rows } }`},
	} {
		q := fmt.Sprintf(f.query, n)
		act := "create"
		if strings.HasPrefix(f.field, "update") {
			act = "update"
		}
		expectErrors(t, gql(t, s, q, nil, ""), map[string]any{f.field: nil}, fieldErr(q, f.field, msgAuthRequired, "UNAUTHENTICATED", nil))
		expectErrors(t, gql(t, s, q, nil, user.Access), map[string]any{f.field: nil}, fieldErr(q, f.field, "only admins may "+act+" records of "+n, "FORBIDDEN", nil))
	}
}
