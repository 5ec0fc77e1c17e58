package webhooks_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

func TestWebhookCRUD(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	r := s.Do(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/in", "collection_name": coll,
		"events": []string{"record.created", "delete"}, "secret": "s3cret", "retry_count": 3, "filter": "n > 5"}, root)
	want := map[string]any{"id": apptest.AnyUUID, "url": "https://hooks.example.com/in", "collection_id": apptest.AnyUUID,
		"collection_name": coll, "events": []any{"create", "delete"}, "filter": "n > 5", "secret": "s3cret", "retry_count": 3.0,
		"enabled": true, "created": apptest.AnyTime, "updated": apptest.AnyTime}
	apptest.ExpectJSON(t, r, http.StatusCreated, want)
	id := r.JSON(t)["id"].(string)
	delete(want, "secret")
	want["id"] = id

	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/webhooks/"+id, nil, root), http.StatusOK, want)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/webhooks", nil, root), http.StatusOK,
		map[string]any{"items": []any{want}, "total": 1.0, "page": 1.0, "per_page": 20.0, "total_pages": 1.0})

	r = s.Do(t, http.MethodPatch, "/api/v1/webhooks/"+id, map[string]any{"events": []string{"*"}, "enabled": false, "filter": ""}, root)
	want["events"], want["enabled"], want["filter"] = []any{"create", "update", "delete"}, false, ""
	apptest.ExpectJSON(t, r, http.StatusOK, want)

	// A generated secret, and the defaults.
	r = s.Do(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "http://hooks.example.com", "collection_name": coll}, root)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID, "url": "http://hooks.example.com", "collection_id": apptest.AnyUUID,
		"collection_name": coll, "events": []any{"create", "update", "delete"}, "filter": "", "secret": apptest.AnyString, "retry_count": 5.0,
		"enabled": true, "created": apptest.AnyTime, "updated": apptest.AnyTime})
	if len(r.JSON(t)["secret"].(string)) != 64 {
		t.Errorf("generated secret %q", r.JSON(t)["secret"])
	}

	if r := s.Do(t, http.MethodDelete, "/api/v1/webhooks/"+id, nil, root); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/webhooks/"+id, nil, root), http.StatusNotFound, "not found", "webhook not found", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/webhooks/"+id, nil, root), http.StatusNotFound, "not found", "webhook not found", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/webhooks/nope/deliveries", nil, root), http.StatusNotFound, "not found", "webhook not found", nil)
}

func TestWebhookValidation(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	for _, c := range []struct {
		body  map[string]any
		field string
		why   string
	}{
		{map[string]any{"collection_name": coll}, "url", "is required"},
		{map[string]any{"url": "http://x.example"}, "collection_name", "is required"},
		{map[string]any{"url": "ftp://x.example", "collection_name": coll}, "url", "must be an absolute http or https URL"},
		{map[string]any{"url": "/relative", "collection_name": coll}, "url", "must be an absolute http or https URL"},
		{map[string]any{"url": "http://u:p@x.example", "collection_name": coll}, "url", "must not hold credentials"},
		{map[string]any{"url": "http://x.example", "collection_name": "missing"}, "collection_name", `no collection is named "missing"`},
		{map[string]any{"url": "http://x.example", "collection_name": coll, "events": []string{}}, "events", "must name at least one of create, update, delete (or *)"},
		{map[string]any{"url": "http://x.example", "collection_name": coll, "events": []string{"created"}}, "events",
			`"created" is not one of create, update, delete, record.created, record.updated, record.deleted, *`},
		{map[string]any{"url": "http://x.example", "collection_name": coll, "retry_count": 11}, "retry_count", "must be between 0 and 10"},
		{map[string]any{"url": "http://x.example", "collection_name": coll, "filter": "nope = 1"}, "filter", `unknown field "nope" at position 0`},
		{map[string]any{"url": "http://x.example", "collection_name": coll, "filter": "n >"}, "filter", "unexpected end of expression at position 3"},
	} {
		r := s.Do(t, http.MethodPost, "/api/v1/webhooks", c.body, root)
		apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", c.field+": "+c.why, map[string]string{c.field: c.why})
	}
	// A filter may not walk a relation: the event carries its own record only.
	linked := newName("linked")
	if r := s.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"name": linked, "schema": []any{
		map[string]any{"name": "post", "type": "relation", "relation": map[string]any{"collection": coll}}}}, root); r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	why := "may not read related records (an event carries its own record only)"
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "http://x.example", "collection_name": linked,
		"filter": `post.title = "a"`}, root), http.StatusUnprocessableEntity, "validation failed", "filter: "+why, map[string]string{"filter": why})
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/webhooks", `{"url": "http://x.example", "collection_name": "`+coll+`", "extra": 1}`, root),
		http.StatusBadRequest, "bad request", `unknown field "extra"`, map[string]string{"extra": "is not a known field"})
}

func TestWebhookAdminOnly(t *testing.T) {
	s := start(t)
	user := userToken(t, s)
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/webhooks"}, {http.MethodPost, "/api/v1/webhooks"},
		{http.MethodGet, "/api/v1/webhooks/00000000-0000-0000-0000-000000000000"},
		{http.MethodPatch, "/api/v1/webhooks/00000000-0000-0000-0000-000000000000"},
		{http.MethodDelete, "/api/v1/webhooks/00000000-0000-0000-0000-000000000000"},
		{http.MethodGet, "/api/v1/webhooks/00000000-0000-0000-0000-000000000000/deliveries"},
	} {
		var body any
		if rt.method == http.MethodPost || rt.method == http.MethodPatch {
			body = map[string]any{}
		}
		apptest.ExpectError(t, s.Do(t, rt.method, rt.path, body, user), http.StatusForbidden, "forbidden", "admin access required", nil)
		apptest.ExpectError(t, s.Do(t, rt.method, rt.path, body, ""), http.StatusUnauthorized, "unauthorized", "authentication required", nil)
	}
}
