package graph_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

// hostile values for each comparison type of where:.
var hostileWhere = map[string][]any{
	"String":      {`\`, `%\`, `a\`, `'`, "\x00", "a\x00b", strings.Repeat("x", 10000), `[`, `(`, `*`, `\1`},
	"Float":       {1e308, -1e308, 5e-324, 0},
	"timestamptz": {"x", "", "99999-01-01T00:00:00Z", "2020-02-30T00:00:00Z", "infinity", "-infinity", "epoch", "now", "2020-01-01T00:00:00+99:00", "\x00"},
	"date":        {"x", "", "99999-01-01", "2020-02-30", "infinity", "epoch", "today", "\x00"},
	"ID":          {"x", "", "\x00", "00000000-0000-0000-0000-00000000000g"},
	"Boolean":     {true},
}

// TestHasuraHostileInputs: no value a client sends makes the database fail
// with an internal error: every where: operator of every field type, and
// every mutation argument, answers data or a BAD_USER_INPUT naming the
// argument the value was in.
func TestHasuraHostileInputs(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	n := newName("hostile")
	createColl(t, s, root.Access, n, `[{name: "title", type: "text"}, {name: "views", type: "number"}, {name: "ok", type: "bool"},
		{name: "day", type: "date"}, {name: "at", type: "datetime"}, {name: "meta", type: "json"}, {name: "mail", type: "email"},
		{name: "site", type: "url"}, {name: "kind", type: "select", select: {values: ["a", "b"]}},
		{name: "tags", type: "select", select: {values: ["x", "y"], max_select: 2}}]`,
		`, list_rule: "", view_rule: "", create_rule: "", update_rule: "", delete_rule: ""`)
	id := insert(t, s, root.Access, n, map[string]any{"title": "t", "views": 1e308, "ok": true, "day": "2020-01-01", "at": "2020-01-01T00:00:00Z",
		"meta": map[string]any{"a": 1}, "mail": "a@example.com", "site": "https://example.com", "kind": "a", "tags": []any{"x"}})

	// check runs q and accepts data without errors or exactly one
	// BAD_USER_INPUT whose message starts with prefix.
	check := func(q string, vars map[string]any, prefix string) {
		t.Helper()
		r := gql(t, s, q, vars, root.Access)
		body := r.JSON(t)
		errs, _ := body["errors"].([]any)
		if r.Status == http.StatusOK && len(errs) == 0 {
			return
		}
		if len(errs) == 1 {
			e := errs[0].(map[string]any)
			code, _ := e["extensions"].(map[string]any)["code"].(string)
			msg, _ := e["message"].(string)
			if r.Status == http.StatusOK && code == "BAD_USER_INPUT" && strings.HasPrefix(msg, prefix) {
				return
			}
		}
		t.Errorf("%s %v:\ngot %d %.400s", q, vars, r.Status, r.Body)
	}

	fields := map[string][]string{
		"title": {"String", "_eq _neq _gt _gte _lt _lte _in _nin _like _nlike _ilike _nilike _regex _iregex"},
		"mail":  {"String", "_eq _neq _gt _gte _lt _lte _in _nin _like _nlike _ilike _nilike _regex _iregex"},
		"site":  {"String", "_eq _like _ilike _regex"},
		"kind":  {"String", "_eq _neq _gt _lt _in _nin _like _ilike _regex _iregex"},
		"views": {"Float", "_eq _neq _gt _gte _lt _lte _in _nin"},
		"day":   {"date", "_eq _neq _gt _gte _lt _lte _in _nin"},
		"at":    {"timestamptz", "_eq _neq _gt _gte _lt _lte _in _nin"},
		"id":    {"ID", "_eq _neq _in _nin"},
		"ok":    {"Boolean", "_eq _neq _in _nin"},
	}
	for field, spec := range fields {
		for _, op := range strings.Fields(spec[1]) {
			for _, v := range hostileWhere[spec[0]] {
				val := v
				if op == "_in" || op == "_nin" {
					val = []any{v}
				}
				where := map[string]any{field: map[string]any{op: val}}
				check(fmt.Sprintf(`query($w: %s_bool_exp) { %s(where: $w) { id } }`, n, n), map[string]any{"w": where}, "where: ")
				check(fmt.Sprintf(`query($w: %s_bool_exp) { %s_aggregate(where: $w) { aggregate { count } } }`, n, n), map[string]any{"w": where}, "where: ")
				check(fmt.Sprintf(`mutation($w: %s_bool_exp!) { update_%s(where: $w, _set: {ok: true}) { affected_rows } }`, n, n), map[string]any{"w": where}, "where: ")
			}
		}
	}
	for _, v := range []any{map[string]any{"a": "\x00"}, "\x00", []any{"\x00"}, map[string]any{"\x00": 1}} {
		check(fmt.Sprintf(`query($v: jsonb) { %s(where: {meta: {_contains: $v}}) { id } }`, n), map[string]any{"v": v}, "where: ")
	}
	for _, v := range []any{"\x00", `\`, "", strings.Repeat("k", 10000)} {
		check(fmt.Sprintf(`query($v: String) { %s(where: {meta: {_has_key: $v}}) { id } }`, n), map[string]any{"v": v}, "where: ")
	}
	for _, op := range []string{"_contains", "_contained_in", "_overlaps"} {
		for _, v := range []any{"\x00", `\`, "z"} {
			check(fmt.Sprintf(`query($v: [String!]) { %s(where: {tags: {%s: $v}}) { id } }`, n, op), map[string]any{"v": []any{v}}, "where: ")
		}
	}

	// Paging and search arguments.
	for _, c := range []struct {
		query string
		vars  map[string]any
		arg   string
	}{
		{`query($s: String) { %s(search: $s) { id } }`, map[string]any{"s": "\x00"}, "search: "},
		{`query($s: String) { %s(search: $s) { id } }`, map[string]any{"s": `\ ' " ! & | ( ) :*`}, "search: "},
		{`query($c: String) { %s_connection(after: $c) { edges { cursor } } }`, map[string]any{"c": base64.StdEncoding.EncodeToString([]byte(`["x","y"]`))}, "after: "},
		{`query($c: String) { %s_connection(before: $c) { edges { cursor } } }`, map[string]any{"c": base64.StdEncoding.EncodeToString([]byte(`["99999-01-01","00000000-0000-0000-0000-000000000000"]`))}, "before: "},
		{`query($c: String) { %s_connection(order_by: {views: asc}, after: $c) { edges { cursor } } }`, map[string]any{"c": base64.StdEncoding.EncodeToString([]byte(`["1e999","00000000-0000-0000-0000-000000000000"]`))}, "after: "},
		{`query($c: String) { %s_connection(order_by: {day: asc}, after: $c) { edges { cursor } } }`, map[string]any{"c": base64.StdEncoding.EncodeToString([]byte(`[true,"x"]`))}, "after: "},
	} {
		check(fmt.Sprintf(c.query, n), c.vars, c.arg)
	}

	// Mutation arguments: every field of an insert and of _set, and _inc.
	values := map[string][]any{
		"title": {"\x00", `\`}, "views": {1e308, -1e308}, "day": {"99999-01-01", "2020-02-30", "infinity", "\x00"},
		"at": {"99999-01-01T00:00:00Z", "infinity", "\x00"}, "meta": {"\x00", map[string]any{"\x00": "\x00"}},
		"mail": {"\x00@example.com"}, "site": {"https://\x00"}, "kind": {"\x00"}, "tags": {[]any{"\x00"}},
	}
	for field, vs := range values {
		for _, v := range vs {
			obj := map[string]any{field: v}
			check(fmt.Sprintf(`mutation($o: %s_insert_input!) { insert_%s_one(object: $o) { id } }`, n, n), map[string]any{"o": obj}, field)
			check(fmt.Sprintf(`mutation($o: [%s_insert_input!]!) { insert_%s(objects: $o) { affected_rows } }`, n, n), map[string]any{"o": []any{obj}}, "objects.0."+field)
			check(fmt.Sprintf(`mutation($id: ID!, $o: %s_set_input) { update_%s_by_pk(pk_columns: {id: $id}, _set: $o) { id } }`, n, n), map[string]any{"id": id, "o": obj}, field)
			check(fmt.Sprintf(`mutation($o: %s_set_input) { update_%s(where: {}, _set: $o) { affected_rows } }`, n, n), map[string]any{"o": obj}, field)
			check(fmt.Sprintf(`mutation($o: %s_set_input) { update_%s_many(updates: [{where: {}, _set: $o}]) { affected_rows } }`, n, n), map[string]any{"o": obj}, "updates.0."+field)
		}
	}
	// An increment past the largest number: the database's overflow.
	for _, v := range []any{1e308, -1e308} {
		must(t, s, root.Access, fmt.Sprintf(`mutation($v: Float) { update_%s(where: {}, _set: {views: $v}) { affected_rows } }`, n), map[string]any{"v": v})
		inc := map[string]any{"views": v}
		for _, c := range []struct{ field, query, message string }{
			{"update_" + n + "_by_pk", `mutation($id: ID!, $i: %s_inc_input) { update_%s_by_pk(pk_columns: {id: $id}, _inc: $i) { id } }`, "_inc: value out of range: overflow"},
			{"update_" + n, `mutation($id: ID!, $i: %s_inc_input) { update_%s(where: {id: {_eq: $id}}, _inc: $i) { affected_rows } }`, "_inc: value out of range: overflow"},
			{"update_" + n + "_many", `mutation($id: ID!, $i: %s_inc_input) { update_%s_many(updates: [{where: {id: {_eq: $id}}, _inc: $i}]) { affected_rows } }`, "updates.0._inc: value out of range: overflow"},
		} {
			q := fmt.Sprintf(c.query, n, n)
			expectErrors(t, gql(t, s, q, map[string]any{"id": id, "i": inc}, root.Access), map[string]any{c.field: nil}, fieldErr(q, c.field, c.message, "BAD_USER_INPUT", nil))
		}
	}
	// Exact answers for a few.
	q := fmt.Sprintf(`query($v: String) { %s(where: {title: {_eq: $v}}) { id } }`, n)
	expectErrors(t, gql(t, s, q, map[string]any{"v": "a\x00b"}, root.Access), nil,
		fieldErr(q, n, `where: invalid byte sequence for encoding "UTF8": 0x00`, "BAD_USER_INPUT", nil))
	q = fmt.Sprintf(`query($v: String) { %s(where: {title: {_like: $v}}) { title } }`, n)
	expectErrors(t, gql(t, s, q, map[string]any{"v": `t\`}, root.Access), nil,
		fieldErr(q, n, "where: title: invalid pattern: the pattern ends with an escape character", "BAD_USER_INPUT", nil))
	q = fmt.Sprintf(`mutation($o: [%s_insert_input!]!) { insert_%s(objects: $o) { affected_rows } }`, n, n)
	expectErrors(t, gql(t, s, q, map[string]any{"o": []any{map[string]any{"title": "ok"}, map[string]any{"meta": map[string]any{"k": "a\x00"}}}}, root.Access),
		map[string]any{"insert_" + n: nil}, fieldErr(q, "insert_"+n, "objects.1.meta: must not contain NUL characters", "BAD_USER_INPUT", map[string]string{"objects.1.meta": "must not contain NUL characters"}))
	q = fmt.Sprintf(`{ %s_connection(order_by: {day: asc}, before: "WyIyMDIwLTAyLTMwIiwiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIl0=") { total_count } }`, n)
	expectErrors(t, gql(t, s, q, nil, root.Access), nil, fieldErr(q, n+"_connection", "before: invalid cursor", "BAD_USER_INPUT", nil))
	for _, v := range []string{"x", "\x00", ""} {
		check(fmt.Sprintf(`mutation($id: ID!) { update_%s_by_pk(pk_columns: {id: $id}, _set: {title: "a"}) { id } }`, n), map[string]any{"id": v}, "pk_columns")
		check(fmt.Sprintf(`mutation($id: ID!) { delete_%s_by_pk(id: $id) { id } }`, n), map[string]any{"id": v}, "id")
		check(fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { id } }`, n), map[string]any{"id": v}, "id")
	}
}
