package graph_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/records"
)

// observeStatements records the statements the GraphQL API sends that
// name table until the returned func is called.
func observeStatements(table string) (stop func() []string) {
	var mu sync.Mutex
	var stmts []string
	end := records.ObserveStatements(func(q string) {
		if strings.Contains(q, `"`+table+`"`) {
			mu.Lock()
			defer mu.Unlock()
			stmts = append(stmts, q)
		}
	})
	return func() []string {
		end()
		mu.Lock()
		defer mu.Unlock()
		return stmts
	}
}

// insert_X_one, update_X_by_pk and each object of insert_X answer their
// selection from the write's own statement (one round trip), unless the selection reads the written
// collection's table, where the statement would not see the new row: then
// the record is read after the write, and the answer is the same.
// Not parallel: the statement observer is process-wide.
func TestDynamicWriteByIDOneStatement(t *testing.T) {
	s := apptest.Start(t)
	root := adminAccount(t, s)
	sh := newShop(t, s, root.Access)

	stop := observeStatements(sh.items)
	q := fmt.Sprintf(`mutation($o: %[1]s_insert_input!) { insert_%[1]s_one(object: $o) {
		__typename title score tags owner { name } readers { name } file } }`, sh.items)
	d := must(t, s, root.Access, q, map[string]any{"o": map[string]any{"title": "Date", "score": 2, "tags": []any{"b", "a"},
		"owner": sh.ann, "readers": []any{sh.bob}, "file": sh.file}})
	stmts := stop()
	expectJSON(t, d, map[string]any{"insert_" + sh.items + "_one": map[string]any{"__typename": sh.items, "title": "Date", "score": 2.0,
		"tags": []any{"b", "a"}, "owner": map[string]any{"name": "Ann"}, "readers": []any{map[string]any{"name": "Bob"}},
		"file": sh.file}})
	if len(stmts) != 1 || !strings.HasPrefix(stmts[0], "WITH new AS") {
		t.Fatalf("insert_one sent %q, want its one INSERT statement", stmts)
	}

	stop = observeStatements(sh.items)
	q = fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _inc: {score: 1}, _set: {title: "Crab"}) { title score owner { name } } }`, sh.items, sh.c)
	d = must(t, s, root.Access, q, nil)
	stmts = stop()
	expectJSON(t, d, map[string]any{"update_" + sh.items + "_by_pk": map[string]any{"title": "Crab", "score": 4.0, "owner": nil}})
	if len(stmts) != 1 || !strings.HasPrefix(stmts[0], "WITH old AS") {
		t.Fatalf("update_by_pk sent %q, want its one UPDATE statement", stmts)
	}

	// insert_X: each object's statement answers its record, in order.
	stop = observeStatements(sh.items)
	q = fmt.Sprintf(`mutation { insert_%s(objects: [{title: "Fig", owner: %q}, {title: "Grape"}]) { affected_rows returning { title owner { name } } } }`, sh.items, sh.bob)
	d = must(t, s, root.Access, q, nil)
	stmts = stop()
	expectJSON(t, d, map[string]any{"insert_" + sh.items: map[string]any{"affected_rows": 2.0, "returning": []any{
		map[string]any{"title": "Fig", "owner": map[string]any{"name": "Bob"}}, map[string]any{"title": "Grape", "owner": nil}}}})
	if len(stmts) != 2 || !strings.HasPrefix(stmts[0], "WITH new AS") || !strings.HasPrefix(stmts[1], "WITH new AS") {
		t.Fatalf("insert of two objects sent %q, want their two INSERT statements", stmts)
	}

	// A selection that lists the written collection (here through the
	// owner's back relation) sees the new record and the new values.
	stop = observeStatements(sh.items)
	q = fmt.Sprintf(`mutation { insert_%[1]s_one(object: {title: "Egg", owner: %[2]q}) { title owner { name %[1]s_via_owner(order_by: {title: asc}) { title } } } }`, sh.items, sh.ann)
	d = must(t, s, root.Access, q, nil)
	stmts = stop()
	expectJSON(t, d, map[string]any{"insert_" + sh.items + "_one": map[string]any{"title": "Egg", "owner": map[string]any{"name": "Ann",
		sh.items + "_via_owner": []any{map[string]any{"title": "Apple pie"}, map[string]any{"title": "Date"}, map[string]any{"title": "Egg"}}}}})
	if len(stmts) != 2 {
		t.Fatalf("insert_one listing its own collection sent %q, want the INSERT and a read after it", stmts)
	}
	q = fmt.Sprintf(`mutation { update_%[1]s_by_pk(pk_columns: {id: %[2]q}, _set: {title: "Apricot"}) { owner { %[1]s_via_owner(order_by: {title: asc}) { title } } } }`, sh.items, sh.a)
	expectJSON(t, must(t, s, root.Access, q, nil), map[string]any{"update_" + sh.items + "_by_pk": map[string]any{"owner": map[string]any{
		sh.items + "_via_owner": []any{map[string]any{"title": "Apricot"}, map[string]any{"title": "Date"}, map[string]any{"title": "Egg"}}}}})
}

// A record the caller may write but not view is written and answered
// null (left out of insert_X's returning), whether the selection is answered by the write's statement or read
// after it.
func TestDynamicWriteByIDHidden(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("hidden"))
	notes := newName("notes")
	createColl(t, s, root.Access, notes, `[{name: "title", type: "text"}, {name: "score", type: "number"}]`,
		`, list_rule: "", view_rule: "score > 5", create_rule: "", update_rule: ""`)
	marks := newName("marks")
	createColl(t, s, root.Access, marks, fmt.Sprintf(`[{name: "note", type: "relation", relation: {collection: %q}}]`, notes), `, list_rule: "", view_rule: ""`)
	for _, sel := range []string{"id title", fmt.Sprintf("title %s_via_note { note { title } }", marks)} {
		insertQ := fmt.Sprintf(`mutation($o: %[1]s_insert_input!) { insert_%[1]s_one(object: $o) { %[2]s } }`, notes, sel)
		key := "insert_" + notes + "_one"
		expectJSON(t, must(t, s, user.Access, insertQ, map[string]any{"o": map[string]any{"title": "low", "score": 1}}), map[string]any{key: nil})
		shown := must(t, s, user.Access, insertQ, map[string]any{"o": map[string]any{"title": "high", "score": 9}})[key].(map[string]any)
		if shown["title"] != "high" {
			t.Fatalf("insert_one of a visible record answered %v", shown)
		}
		bulk := fmt.Sprintf(`mutation { insert_%s(objects: [{title: "a", score: 1}, {title: "b", score: 9}, {title: "c", score: 2}]) { affected_rows returning { %s } } }`, notes, sel)
		got := must(t, s, user.Access, bulk, nil)["insert_"+notes].(map[string]any)
		if got["affected_rows"] != 3.0 || len(got["returning"].([]any)) != 1 || got["returning"].([]any)[0].(map[string]any)["title"] != "b" {
			t.Fatalf("insert of a visible and two hidden records answered %v", got)
		}
		must(t, s, root.Access, fmt.Sprintf(`mutation { delete_%s(where: {title: {_in: ["a", "b", "c"]}}) { affected_rows } }`, notes), nil)
		id := must(t, s, root.Access, fmt.Sprintf(`{ %s(where: {title: {_eq: "high"}}) { id } }`, notes), nil)[notes].([]any)[0].(map[string]any)["id"]
		updateQ := fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {score: 2, title: "lowered"}) { %s } }`, notes, id, sel)
		expectJSON(t, must(t, s, user.Access, updateQ, nil), map[string]any{"update_" + notes + "_by_pk": nil})
		expectJSON(t, must(t, s, root.Access, fmt.Sprintf(`{ %s(order_by: {title: asc}) { title score } }`, notes), nil)[notes], []any{
			map[string]any{"title": "low", "score": 1.0}, map[string]any{"title": "lowered", "score": 2.0}})
		must(t, s, root.Access, fmt.Sprintf(`mutation { delete_%s(where: {}) { affected_rows } }`, notes), nil)
	}
}

// A single relation selected for its id alone is answered from the
// relation's column when the target's view rule admits the caller (its
// foreign key makes the id a record's), and is null as before when the
// rule hides the target or the relation is empty.
// Not parallel: the statement observer is process-wide.
func TestDynamicRelationIDOnly(t *testing.T) {
	s := apptest.Start(t)
	root := adminAccount(t, s)
	sh := newShop(t, s, root.Access)
	stop := observeStatements(sh.people)
	q := fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { owner { __typename id } } }`, sh.items)
	expectJSON(t, must(t, s, "", q, map[string]any{"id": sh.a}), map[string]any{sh.items + "_by_pk": map[string]any{
		"owner": map[string]any{"__typename": sh.people, "id": sh.ann}}})
	expectJSON(t, must(t, s, "", q, map[string]any{"id": sh.c}), map[string]any{sh.items + "_by_pk": map[string]any{"owner": nil}})
	if stmts := stop(); len(stmts) != 0 {
		t.Fatalf("owner { id } read the owner's table: %q", stmts)
	}

	secrets, holders := newName("secrets"), newName("holders")
	createColl(t, s, root.Access, secrets, `[{name: "name", type: "text"}]`, `, list_rule: "name = 'open'", view_rule: "name = 'open'"`)
	createColl(t, s, root.Access, holders, fmt.Sprintf(`[{name: "secret", type: "relation", relation: {collection: %q}}]`, secrets), `, list_rule: "", view_rule: ""`)
	closed := insert(t, s, root.Access, secrets, map[string]any{"name": "closed"})
	holder := insert(t, s, root.Access, holders, map[string]any{"secret": closed})
	q = fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { secret { id } } }`, holders)
	expectJSON(t, must(t, s, "", q, map[string]any{"id": holder}), map[string]any{holders + "_by_pk": map[string]any{"secret": nil}})
	expectJSON(t, must(t, s, root.Access, q, map[string]any{"id": holder}), map[string]any{holders + "_by_pk": map[string]any{"secret": map[string]any{"id": closed}}})
}
