package graph_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// TestHasuraUpdateOperators: an update with no operator, or naming one
// column in both _set and _inc, is a BAD_USER_INPUT on every update field
// (never a 500, nothing changed); an empty _set affects no record.
func TestHasuraUpdateOperators(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	n := newName("posts")
	createColl(t, s, root.Access, n, `[{name: "title", type: "text"}, {name: "views", type: "number"}]`, `, list_rule: "", view_rule: "", update_rule: ""`)
	id := insert(t, s, root.Access, n, map[string]any{"title": "p", "views": 10})
	vars := map[string]any{"id": id}
	noOp := "give _set or _inc"
	twice := "views: is given more than once"
	for _, c := range []struct{ field, query, message, key string }{
		{"update_" + n + "_by_pk", `mutation($id: ID!) { update_%s_by_pk(pk_columns: {id: $id}) { id } }`, noOp, ""},
		{"update_" + n, `mutation { update_%s(where: {}) { affected_rows } }`, noOp, ""},
		{"update_" + n + "_many", `mutation { update_%s_many(updates: [{where: {}, _set: {title: "x"}}, {where: {}}]) { affected_rows } }`, "updates.1: " + noOp, ""},
		{"update_" + n, `mutation { update_%s(where: {}, _set: {views: 1}, _inc: {views: 1}) { affected_rows } }`, twice, "views"},
		{"update_" + n + "_many", `mutation { update_%s_many(updates: [{where: {}, _set: {views: 1}, _inc: {views: 1}}]) { affected_rows } }`, "updates.0." + twice, "updates.0.views"},
	} {
		q := fmt.Sprintf(c.query, n)
		var v map[string]any
		if strings.Contains(c.query, "$id") {
			v = vars
		}
		var fields map[string]string
		if c.key != "" {
			fields = map[string]string{c.key: "is given more than once"}
		}
		expectErrors(t, gql(t, s, q, v, root.Access), map[string]any{c.field: nil}, fieldErr(q, c.field, c.message, "BAD_USER_INPUT", fields))
	}
	// _set: {} changes nothing and reports no record.
	for _, c := range []struct{ query, want string }{
		{`mutation($id: ID!) { x: update_%s_by_pk(pk_columns: {id: $id}, _set: {}) { id } }`, `{"x":null}`},
		{`mutation { x: update_%s(where: {}, _set: {}) { affected_rows returning { id } } }`, `{"x":{"affected_rows":0,"returning":[]}}`},
		{`mutation { x: update_%s_many(updates: [{where: {}, _set: {}}]) { affected_rows } }`, `{"x":[{"affected_rows":0}]}`},
		{`mutation { x: update_%s(where: {}, _set: {}, _inc: {}) { affected_rows } }`, `{"x":{"affected_rows":0}}`},
	} {
		q := fmt.Sprintf(c.query, n)
		var v map[string]any
		if strings.Contains(c.query, "$id") {
			v = vars
		}
		if r := gql(t, s, q, v, root.Access); r.Status != http.StatusOK || string(r.Body) != `{"data":`+c.want+`}` {
			t.Errorf("%s\ngot %d %s\nwant %s", q, r.Status, r.Body, c.want)
		}
	}
	q := fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { title views updated created } }`, n)
	rec := must(t, s, root.Access, q, vars)[n+"_by_pk"].(map[string]any)
	if rec["title"] != "p" || rec["views"] != 10.0 || rec["updated"] != rec["created"] {
		t.Fatalf("the record changed: %v", rec)
	}
}

// TestHasuraMutationReturningOrder: returning of update_X, update_X_many
// and delete_X lists the records in the default listing order (created,
// then id), whatever order they were matched in; insert_X's follows its
// objects.
func TestHasuraMutationReturningOrder(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	n := newName("items")
	createColl(t, s, root.Access, n, `[{name: "k", type: "number"}]`, `, list_rule: "", view_rule: "", update_rule: "", delete_rule: ""`)
	objs := make([]any, 20)
	for i := range objs {
		objs[i] = map[string]any{"k": i}
	}
	q := fmt.Sprintf(`mutation($o: [%s_insert_input!]!) { insert_%s(objects: $o) { returning { id } } }`, n, n)
	must(t, s, root.Access, q, map[string]any{"o": objs})
	time.Sleep(10 * time.Millisecond)
	for i := 20; i < 25; i++ {
		insert(t, s, root.Access, n, map[string]any{"k": i})
	}
	list := fmt.Sprintf(`{ %s { id } }`, n)
	want := ids(must(t, s, root.Access, list, nil)[n])
	for _, c := range []struct{ field, query string }{
		{"update_" + n, `mutation { update_%s(where: {}, _inc: {k: 1}) { returning { id } } }`},
		{"delete_" + n, `mutation { delete_%s(where: {}) { returning { id } } }`},
	} {
		d := must(t, s, root.Access, fmt.Sprintf(c.query, n), nil)
		expectJSON(t, ids(d[c.field].(map[string]any)["returning"]), want)
	}
	// insert_X: in the order of its objects (they share one created time).
	q = fmt.Sprintf(`mutation($o: [%s_insert_input!]!) { insert_%s(objects: $o) { returning { k } } }`, n, n)
	d := must(t, s, root.Access, q, map[string]any{"o": objs})
	expectJSON(t, d["insert_"+n].(map[string]any)["returning"], objs)
	d = must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s_many(updates: [{where: {}, _inc: {k: 0}}]) { returning { id } } }`, n), nil)
	expectJSON(t, ids(d["update_"+n+"_many"].([]any)[0].(map[string]any)["returning"]), ids(must(t, s, root.Access, list, nil)[n]))
}
