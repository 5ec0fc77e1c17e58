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

// TestSecurity06IncrementsAndHiddenFields: _inc is seen by rules as
// @request.data, and non-admins cannot write hidden fields.
func TestSecurity06IncrementsAndHiddenFields(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("writer"))
	n := newName("posts")
	createColl(t, s, root.Access, n, `[{name: "title", type: "text"}, {name: "views", type: "number", validation: {min: 0, max: 1000}},
		{name: "score", type: "number", hidden: true, validation: {max: 100}}]`,
		`, list_rule: "", view_rule: "", create_rule: "@request.auth.id != ''", update_rule: "@request.auth.id != '' && @request.data.views = null && @request.data.score = null"`)
	id := insert(t, s, root.Access, n, map[string]any{"title": "p", "views": 10, "score": 42})
	vars := map[string]any{"id": id}
	notField := "is not a field of " + n

	q := fmt.Sprintf(`mutation($id: ID!) { update_%s_by_pk(pk_columns: {id: $id}, _inc: {views: 500}) { views } }`, n)
	expectErrors(t, gql(t, s, q, vars, user.Access), map[string]any{"update_" + n + "_by_pk": nil},
		fieldErr(q, "update_"+n+"_by_pk", "the update rule of "+n+" does not allow this change", "FORBIDDEN", nil))
	q = fmt.Sprintf(`mutation { update_%s(where: {}, _inc: {views: 500}) { affected_rows } }`, n)
	expectData(t, gql(t, s, q, nil, user.Access), map[string]any{"update_" + n: map[string]any{"affected_rows": 0.0}})
	q = fmt.Sprintf(`mutation { update_%s_many(updates: [{where: {}, _inc: {views: 500}}]) { affected_rows } }`, n)
	expectData(t, gql(t, s, q, nil, user.Access), map[string]any{"update_" + n + "_many": []any{map[string]any{"affected_rows": 0.0}}})

	for _, c := range []struct{ field, query, key string }{
		{"update_" + n + "_by_pk", `mutation($id: ID!) { update_%s_by_pk(pk_columns: {id: $id}, _inc: {score: -40}) { id } }`, "score+"},
		{"update_" + n + "_by_pk", `mutation($id: ID!) { update_%s_by_pk(pk_columns: {id: $id}, _set: {score: 1}) { id } }`, "score"},
		{"update_" + n, `mutation { update_%s(where: {}, _inc: {score: 100}) { affected_rows } }`, "score+"},
		{"insert_" + n + "_one", `mutation { insert_%s_one(object: {title: "x", score: 5}) { id } }`, "score"},
		{"insert_" + n, `mutation { insert_%s(objects: [{title: "x", score: 5}]) { affected_rows } }`, "objects.0.score"},
	} {
		q := fmt.Sprintf(c.query, n)
		var v map[string]any
		if strings.Contains(c.query, "$id") {
			v = vars
		}
		expectErrors(t, gql(t, s, q, v, user.Access), map[string]any{c.field: nil},
			fieldErr(q, c.field, c.key+": "+notField, "BAD_USER_INPUT", map[string]string{c.key: notField}))
	}
	// A value and an increment of one field together are refused, not sent to SQL.
	q = fmt.Sprintf(`mutation($id: ID!) { update_%s_by_pk(pk_columns: {id: $id}, _set: {views: 1}, _inc: {views: 1}) { id } }`, n)
	expectErrors(t, gql(t, s, q, vars, root.Access), map[string]any{"update_" + n + "_by_pk": nil},
		fieldErr(q, "update_"+n+"_by_pk", "views: is given more than once", "BAD_USER_INPUT", map[string]string{"views": "is given more than once"}))
	q = fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { title views score } }`, n)
	expectData(t, gql(t, s, q, vars, root.Access), map[string]any{n + "_by_pk": map[string]any{"title": "p", "views": 10.0, "score": 42.0}})
}
