package graph_test

import (
	"testing"

	"fastcms/internal/apptest"
)

// TestSecurity18CollectionDefinitionsRedacted: through GraphQL too, a user
// reads definitions without rules or hidden fields; an admin reads them whole.
func TestSecurity18CollectionDefinitionsRedacted(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("r18"))
	name := newName("r18posts")
	mq := `mutation($n: String!) { create_collection(name: $n, list_rule: "", view_rule: "", update_rule: "@request.auth.id != ''",
		schema: [{name: "title", type: "text"}, {name: "score", type: "number", hidden: true}]) { name } }`
	expectData(t, gql(t, s, mq, map[string]any{"n": name}, root.Access), map[string]any{"create_collection": map[string]any{"name": name}})

	q := `query($n: String!) { collection(name: $n) { name list_rule view_rule update_rule schema { name hidden } } }`
	expectData(t, gql(t, s, q, map[string]any{"n": name}, root.Access), map[string]any{"collection": map[string]any{
		"name": name, "list_rule": "", "view_rule": "", "update_rule": "@request.auth.id != ''",
		"schema": []any{map[string]any{"name": "title", "hidden": false}, map[string]any{"name": "score", "hidden": true}}}})
	redacted := map[string]any{"name": name, "list_rule": nil, "view_rule": nil, "update_rule": nil,
		"schema": []any{map[string]any{"name": "title", "hidden": false}}}
	expectData(t, gql(t, s, q, map[string]any{"n": name}, user.Access), map[string]any{"collection": redacted})

	r := gql(t, s, `{ collections { name list_rule view_rule update_rule schema { name hidden } } }`, nil, user.Access)
	for _, c := range r.JSON(t)["data"].(map[string]any)["collections"].([]any) {
		c := c.(map[string]any)
		if c["list_rule"] != nil || c["view_rule"] != nil || c["update_rule"] != nil {
			t.Fatalf("a user reads rules: %v", c)
		}
		for _, f := range c["schema"].([]any) {
			if f.(map[string]any)["hidden"] == true {
				t.Fatalf("a user reads a hidden field: %v", c)
			}
		}
	}
}
