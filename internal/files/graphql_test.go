package files_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

const fileFields = "id filename original_filename mime_type size collection_name record_id field_name user_id created updated url"

// gqlUpload sends a GraphQL multipart request (the GraphQL multipart
// request spec): operations, then map, then the file as part "0".
func gqlUpload(t *testing.T, s *apptest.Server, token, query string, vars map[string]any, name string, body []byte) *apptest.Response {
	t.Helper()
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	mp, _ := json.Marshal(map[string][]string{"0": {"variables.file"}})
	buf, ct := multipartBody(t, field("operations", string(ops)), field("map", string(mp)), part{name: "0", filename: name, body: body})
	return send(t, s, http.MethodPost, "/graphql", buf, token, "Content-Type", ct)
}

// Upload, list, read and delete through GraphQL, against the same store
// REST serves.
func TestFilesGraphQL(t *testing.T) {
	s := apptest.Start(t)
	u, other := newUser(t, s), newUser(t, s)
	body := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 0xff, 'x'}, 1000)...)
	up := `mutation($file: Upload!, $c: String) { upload_file(file: $file, collection_name: $c) { ` + fileFields + ` } }`
	r := gqlUpload(t, s, u.Access, up, map[string]any{"file": nil, "c": "docs"}, "../report.pdf", body)
	want := fileJSON(apptest.AnyUUID, u.ID, "report.pdf", "application/pdf", len(body))
	want["collection_name"] = "docs"
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"upload_file": want}})
	id := r.JSON(t)["data"].(map[string]any)["upload_file"].(map[string]any)["id"].(string)

	d := send(t, s, http.MethodGet, "/api/v1/files/"+id+"/download", nil, u.Access)
	if d.Status != http.StatusOK || !bytes.Equal(d.Body, body) {
		t.Fatalf("REST download of a GraphQL upload: %d, %d bytes", d.Status, len(d.Body))
	}

	r, _ = s.GraphQL(t, `{ files(collection_name: "docs") { items { id original_filename } total page per_page total_pages } }`, nil, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"files": map[string]any{
		"items": []any{map[string]any{"id": id, "original_filename": "report.pdf"}}, "total": 1, "page": 1, "per_page": 20, "total_pages": 1}}})
	r, _ = s.GraphQL(t, `query($id: ID!) { file(id: $id) { id } }`, map[string]any{"id": id}, other.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"file": nil}})
	r, _ = s.GraphQL(t, `query($id: ID!) { file(id: $id) { id size } }`, map[string]any{"id": id}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"file": map[string]any{"id": id, "size": len(body)}}})

	r, _ = s.GraphQL(t, `mutation($id: ID!) { delete_file(id: $id) }`, map[string]any{"id": id}, other.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": "file not found", "path": []any{"delete_file"}, "locations": []any{map[string]any{"line": 1, "column": 22}}, "extensions": map[string]any{"code": "NOT_FOUND"}}}})
	r, _ = s.GraphQL(t, `mutation($id: ID!) { delete_file(id: $id) }`, map[string]any{"id": id}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"delete_file": true}})
	if _, ok := stored(t, s)[diskPath(id)]; ok {
		t.Fatal("bytes left after delete_file")
	}

	// Anonymous uploads are refused, and nothing is stored.
	before := storedKeys(t, s)
	r = gqlUpload(t, s, "", up, map[string]any{"file": nil}, "a.txt", []byte("a"))
	if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"UNAUTHENTICATED"`)) {
		t.Fatalf("anonymous upload: %d %s", r.Status, r.Body)
	}
	if after := storedKeys(t, s); len(after) != len(before) {
		t.Fatalf("stored after a refused upload: %v", after)
	}
}

// A GraphQL upload may exceed MAX_BODY_BYTES (64 KiB in tests) as a REST
// one may, up to max_file_size, past which it is refused with nothing kept.
func TestFilesGraphQLSizeLimits(t *testing.T) {
	s := apptest.Start(t)
	root := admin(t, s)
	u := newUser(t, s)
	up := `mutation($file: Upload!) { upload_file(file: $file) { id size } }`
	big := bytes.Repeat([]byte("0123456789abcdef"), 200<<10/16)
	r := gqlUpload(t, s, u.Access, up, map[string]any{"file": nil}, "big.txt", big)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"upload_file": map[string]any{"id": apptest.AnyUUID, "size": len(big)}}})

	if r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "max_file_size", "value": 100 << 10}, root.Access); r.Status != http.StatusOK {
		t.Fatalf("set max_file_size: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { s.Do(t, http.MethodDelete, "/api/v1/settings/max_file_size", nil, root.Access) })
	before := storedKeys(t, s)
	r = gqlUpload(t, s, u.Access, up, map[string]any{"file": nil}, "big.txt", big)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": "file is larger than max_file_size (102400 bytes)", "path": []any{"upload_file"},
		"locations": []any{map[string]any{"line": 1, "column": 28}}, "extensions": map[string]any{"code": "BAD_REQUEST"}}}})
	if after := storedKeys(t, s); len(after) != len(before) {
		t.Fatalf("stored after a refused upload: %v", after)
	}
}
