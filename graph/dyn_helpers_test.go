package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"fastcms/internal/apptest"
)

var collSeq atomic.Int64

// newName is a collection name unique within the package's database.
func newName(prefix string) string { return fmt.Sprintf("%s_%d", prefix, collSeq.Add(1)) }

// data checks that r is a 200 without errors and returns its data.
func data(t *testing.T, r *apptest.Response) map[string]any {
	t.Helper()
	body := r.JSON(t)
	if r.Status != http.StatusOK || body["errors"] != nil {
		t.Fatalf("want data, got %d %s", r.Status, r.Body)
	}
	return body["data"].(map[string]any)
}

// must runs an operation that must succeed and returns its data.
func must(t *testing.T, s *apptest.Server, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	return data(t, gql(t, s, query, vars, token))
}

// createColl defines a collection through create_collection; schema and
// the rules are GraphQL argument literals, e.g. `[{name: "title", type: "text"}]`.
func createColl(t *testing.T, s *apptest.Server, token, name, schema, rules string) {
	t.Helper()
	must(t, s, token, fmt.Sprintf(`mutation { create_collection(name: %q, schema: %s %s) { id } }`, name, schema, rules), nil)
}

// insert creates one record and returns its id.
func insert(t *testing.T, s *apptest.Server, token, coll string, object map[string]any) string {
	t.Helper()
	d := must(t, s, token, fmt.Sprintf(`mutation($o: %s_insert_input!) { insert_%s_one(object: $o) { id } }`, coll, coll), map[string]any{"o": object})
	rec, _ := d["insert_"+coll+"_one"].(map[string]any)
	if rec == nil {
		t.Fatalf("insert into %s returned null", coll)
	}
	return rec["id"].(string)
}

// ids lists the "id" members of a list of records.
func ids(v any) []any {
	out := []any{}
	for _, r := range v.([]any) {
		out = append(out, r.(map[string]any)["id"])
	}
	return out
}

// expectJSON compares a decoded JSON value with want (numbers as float64,
// apptest matchers allowed).
func expectJSON(t *testing.T, got, want any) {
	t.Helper()
	if diff := apptest.Diff(got, want, ""); diff != "" {
		g, _ := json.Marshal(got)
		t.Fatalf("%s\ngot: %s", diff, g)
	}
}
