package settings_test

import (
	"bytes"
	"maps"
	"net/http"
	"slices"
	"testing"

	"fastcms/internal/apptest"
)

const settingFields = "key category value description source secret"

func TestSettingsGraphQL(t *testing.T) {
	s := apptest.Start(t)
	root := admin(t, s)
	u := user(t, s, "gql@example.com")

	r, _ := s.GraphQL(t, `{ settings { key } }`, nil, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": "admin access required", "path": []any{"settings"}, "locations": loc(1, 3), "extensions": map[string]any{"code": "FORBIDDEN"}}}})

	r, _ = s.GraphQL(t, `{ settings(category: "security") { `+settingFields+` } }`, nil, root.Access)
	security := listing(nil)["security"].(map[string]any)
	var want []any
	for _, key := range slices.Sorted(maps.Keys(security)) {
		e := security[key].(map[string]any)
		want = append(want, map[string]any{"key": key, "category": "security", "value": e["value"], "description": e["description"], "source": "default", "secret": false})
	}
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"settings": want}})

	set := `mutation($key: String!, $value: jsonb, $category: String, $description: String) {
		set_setting(key: $key, value: $value, category: $category, description: $description) { ` + settingFields + ` } }`
	r, _ = s.GraphQL(t, set, map[string]any{"key": "banner", "value": map[string]any{"text": "hi", "n": 3}, "description": "home banner"}, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"set_setting": map[string]any{
		"key": "banner", "category": "custom", "value": map[string]any{"text": "hi", "n": 3}, "description": "home banner", "source": "database", "secret": false}}})
	// A literal value, and null as a value.
	r, _ = s.GraphQL(t, `mutation { set_setting(key: "banner", value: null) { value description } }`, nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"set_setting": map[string]any{"value": nil, "description": "home banner"}}})
	r, _ = s.GraphQL(t, `mutation { set_setting(key: "banner") { value } }`, nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": "value: is required", "path": []any{"set_setting"}, "locations": loc(1, 12), "extensions": map[string]any{"code": "BAD_USER_INPUT", "fields": map[string]any{"value": "is required"}}}}})

	r, _ = s.GraphQL(t, set, map[string]any{"key": "maintenance_mode", "value": "yes"}, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": "maintenance_mode: must be true or false", "path": []any{"set_setting"}, "locations": loc(2, 3),
		"extensions": map[string]any{"code": "BAD_USER_INPUT", "fields": map[string]any{"maintenance_mode": "must be true or false"}}}}})

	r, _ = s.GraphQL(t, set, map[string]any{"key": "smtp_password", "value": "hunter2-gql"}, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"set_setting": map[string]any{
		"key": "smtp_password", "category": "email", "value": nil, "description": descSMTP, "source": "database", "secret": true}}})
	r, _ = s.GraphQL(t, `{ settings { key value } }`, nil, root.Access)
	if bytes.Contains(r.Body, []byte("hunter2")) {
		t.Fatalf("a secret came back: %s", r.Body)
	}
	// REST sees what GraphQL stored.
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/settings/custom", nil, root.Access), http.StatusOK, map[string]any{
		"banner": entry(nil, "home banner", "database", false)})

	for _, key := range []string{"banner", "smtp_password"} {
		r, _ = s.GraphQL(t, `mutation($k: String!) { delete_setting(key: $k) }`, map[string]any{"k": key}, root.Access)
		apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"delete_setting": true}})
	}
	r, _ = s.GraphQL(t, `mutation { delete_setting(key: "banner") }`, nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": `setting "banner" is not stored`, "path": []any{"delete_setting"}, "locations": loc(1, 12), "extensions": map[string]any{"code": "NOT_FOUND"}}}})
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/settings/custom", nil, root.Access), http.StatusOK, map[string]any{})
}

// loc is an error's locations member: one line and column.
func loc(line, column int) []any {
	return []any{map[string]any{"line": line, "column": column}}
}
