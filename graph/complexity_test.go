package graph_test

import (
	"fmt"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// A pageable list costs its limit times its selection: a list of lists
// that asks for many items is refused before anything runs; the same
// shape with small limits runs.
func TestListComplexity(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	parents, children := newName("cx_parent"), newName("cx_child")
	createColl(t, s, root.Access, parents, `[{name: "title", type: "text"}]`, `, list_rule: "", view_rule: ""`)
	createColl(t, s, root.Access, children, fmt.Sprintf(`[{name: "parent", type: "relation", relation: {collection: %q}}]`, parents), `, list_rule: "", view_rule: ""`)

	query := func(outer, inner int) string {
		return fmt.Sprintf(`{ %s(limit: %d) { title %s_via_parent(limit: %d) { id } } }`, parents, outer, children, inner)
	}
	// 1000 × (1 + (1000 × 1 + 1)) + 1
	r := gql(t, s, query(1000, 1000), nil, root.Access)
	expectRequestErrors(t, r, http.StatusOK, map[string]any{
		"message":    "operation has complexity 1002001, which exceeds the limit of 5000",
		"extensions": map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"},
	})
	apptest.ExpectJSON(t, gql(t, s, query(10, 10), nil, root.Access), http.StatusOK, map[string]any{"data": map[string]any{parents: []any{}}})
}
