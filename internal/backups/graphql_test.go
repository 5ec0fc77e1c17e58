package backups_test

import (
	"net/http"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// The GraphQL twins of the REST routes call the same service.
func TestBackupGraphQL(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	before := snapshot(t, s)
	const fields = `id filename size_bytes status error created completed progress { tables_done tables_total files_done files_total bytes }`
	r, body := s.GraphQL(t, `mutation { create_backup { `+fields+` } }`, nil, tok)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"create_backup": map[string]any{
		"id": apptest.AnyUUID, "filename": apptest.AnyString, "size_bytes": 0.0, "status": "running", "error": "",
		"created": apptest.AnyTime, "completed": nil, "progress": progress(0, 0, 0, 0, 0.0)}}})
	id := body["data"].(map[string]any)["create_backup"].(map[string]any)["id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, body = s.GraphQL(t, `{ backups { items { `+fields+` } total page per_page total_pages } }`, nil, tok)
		page := body["data"].(map[string]any)["backups"].(map[string]any)
		if b := page["items"].([]any)[0].(map[string]any); b["status"] == "completed" {
			apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"backups": map[string]any{
				"items": []any{map[string]any{"id": id, "filename": apptest.AnyString, "size_bytes": apptest.AnyNumber, "status": "completed",
					"error": "", "created": apptest.AnyTime, "completed": apptest.AnyTime, "progress": progress(7, 7, 1, 1, b["size_bytes"])}},
				"total": 1.0, "page": 1.0, "per_page": 20.0, "total_pages": 1.0}}})
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backup did not complete: %v", page)
		}
		time.Sleep(20 * time.Millisecond)
	}
	change(t, s, tok)
	r, _ = s.GraphQL(t, `mutation($id: ID!) { restore_backup(id: $id) { status id format_version collections rows } }`, map[string]any{"id": id}, tok)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"restore_backup": map[string]any{
		"status": "restored", "id": id, "format_version": 2.0, "collections": []any{"posts"}, "rows": apptest.AnyNumber}}})
	sameSnapshot(t, snapshot(t, s), before)
	// The GraphQL schema follows the restored definitions: rank is back.
	r, _ = s.GraphQL(t, `{ posts(order_by: {rank: asc}) { title rank } }`, nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"posts": []any{
		map[string]any{"title": "first", "rank": 0.0}, map[string]any{"title": "second", "rank": 1.0}, map[string]any{"title": "third", "rank": 2.0}}}})

	userTok := login(t, s, "user@example.com")
	r, _ = s.GraphQL(t, `{ backups { total } }`, nil, userTok)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "admin access required",
		"path": []any{"backups"}, "locations": []any{map[string]any{"line": 1.0, "column": 3.0}}, "extensions": map[string]any{"code": "FORBIDDEN"}}}})

	tok = login(t, s, "root@example.com")
	r, _ = s.GraphQL(t, `mutation($id: ID!) { delete_backup(id: $id) }`, map[string]any{"id": id}, tok)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"delete_backup": true}})
	r, _ = s.GraphQL(t, `mutation($id: ID!) { delete_backup(id: $id) }`, map[string]any{"id": id}, tok)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{"message": `backup "` + id + `" not found`,
		"path": []any{"delete_backup"}, "locations": []any{map[string]any{"line": 1.0, "column": 22.0}}, "extensions": map[string]any{"code": "NOT_FOUND"}}}})
}
