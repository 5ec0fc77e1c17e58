package webhooks_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

const hookFields = `id url collection_id collection_name events filter secret retry_count enabled created updated`

// The GraphQL twins of the REST routes call the same service and answer
// the same shapes.
func TestWebhookGraphQL(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t)

	r, body := s.GraphQL(t, `mutation($url: String!, $c: String!) { create_webhook(url: $url, collection_name: $c, events: ["record.created"], secret: "gq", retry_count: 0) { `+hookFields+` } }`,
		map[string]any{"url": rc.URL, "c": coll}, root)
	want := map[string]any{"id": apptest.AnyUUID, "url": rc.URL, "collection_id": apptest.AnyUUID, "collection_name": coll,
		"events": []any{"create"}, "filter": "", "secret": "gq", "retry_count": 0.0, "enabled": true, "created": apptest.AnyTime, "updated": apptest.AnyTime}
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"create_webhook": want}})
	id := body["data"].(map[string]any)["create_webhook"].(map[string]any)["id"].(string)
	want["id"], want["secret"] = id, nil

	r, _ = s.GraphQL(t, `query($id: ID!) { webhooks { items { `+hookFields+` } total page per_page total_pages } webhook(id: $id) { `+hookFields+` } missing: webhook(id: "nope") { id } }`,
		map[string]any{"id": id}, root)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{
		"webhooks": map[string]any{"items": []any{want}, "total": 1.0, "page": 1.0, "per_page": 20.0, "total_pages": 1.0},
		"webhook":  want, "missing": nil}})

	rec := createRecord(t, s, root, coll, map[string]any{"title": "a"})
	rc.wait(t, 1)
	deliveries(t, s, root, id, 1)
	r, _ = s.GraphQL(t, `query($id: ID!) { webhook_deliveries(webhook_id: $id) { items { webhook_id event record_id status attempts next_attempt_at last_status_code last_error last_response } total } }`,
		map[string]any{"id": id}, root)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"webhook_deliveries": map[string]any{"total": 1.0, "items": []any{
		map[string]any{"webhook_id": id, "event": "record.created", "record_id": rec, "status": "succeeded", "attempts": 1.0,
			"next_attempt_at": nil, "last_status_code": 200.0, "last_error": "", "last_response": ""}}}}})

	r, _ = s.GraphQL(t, `mutation($id: ID!) { update_webhook(id: $id, enabled: false, filter: "n > 1") { enabled filter secret } }`, map[string]any{"id": id}, root)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"update_webhook": map[string]any{"enabled": false, "filter": "n > 1", "secret": nil}}})

	r, _ = s.GraphQL(t, `mutation($c: String!) { create_webhook(url: "gopher://x", collection_name: $c, retry_count: 11) { id } }`, map[string]any{"c": coll}, root)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "validation failed",
		"path": []any{"create_webhook"}, "locations": []any{map[string]any{"line": 1.0, "column": 25.0}}, "extensions": map[string]any{"code": "BAD_USER_INPUT",
			"fields": map[string]any{"url": "must be an absolute http or https URL", "retry_count": "must be between 0 and 10"}}}}})

	user := userToken(t, s)
	r, _ = s.GraphQL(t, `{ webhooks { total } }`, nil, user)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "admin access required",
		"path": []any{"webhooks"}, "locations": []any{map[string]any{"line": 1.0, "column": 3.0}}, "extensions": map[string]any{"code": "FORBIDDEN"}}}})

	r, _ = s.GraphQL(t, `mutation($id: ID!) { delete_webhook(id: $id) }`, map[string]any{"id": id}, root)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"delete_webhook": true}})
	r, _ = s.GraphQL(t, `mutation($id: ID!) { delete_webhook(id: $id) }`, map[string]any{"id": id}, root)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "webhook not found",
		"path": []any{"delete_webhook"}, "locations": []any{map[string]any{"line": 1.0, "column": 22.0}}, "extensions": map[string]any{"code": "NOT_FOUND"}}}})
}
