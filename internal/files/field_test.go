package files_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// fileFieldsCollection creates collection name: doc (one text file of at most 100
// bytes, kept when dropped) and pics (up to 3 files, deleted when no
// record refers to them any more); every user may do everything.
func fileFieldsCollection(t *testing.T, s *apptest.Server, adm account, name string) {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"name": name, "type": "base",
		"list_rule": "", "view_rule": "", "create_rule": "", "update_rule": "", "delete_rule": "",
		"schema": []any{
			map[string]any{"name": "title", "type": "text"},
			map[string]any{"name": "doc", "type": "file", "file": map[string]any{"max_size": 100, "mime_types": []any{"text/*"}}},
			map[string]any{"name": "pics", "type": "file", "file": map[string]any{"max_files": 3, "on_delete": "delete"}},
		}}, adm.Access)
	if r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	schema := r.JSON(t)["schema"].([]any)
	validation := map[string]any{"required": false, "unique": false}
	if diff := apptest.Diff(schema[1:], []any{
		map[string]any{"name": "doc", "type": "file", "validation": validation, "hidden": false,
			"file": map[string]any{"max_size": float64(100), "mime_types": []any{"text/*"}, "on_delete": "keep"}},
		map[string]any{"name": "pics", "type": "file", "validation": validation, "hidden": false,
			"file": map[string]any{"max_files": float64(3), "on_delete": "delete"}},
	}, "$.schema"); diff != "" {
		t.Fatal(diff)
	}
}

// A file field takes only ids of files the writer may see that fit its
// options; expand shows their metadata to those who may see the files;
// dropping files releases them as the field says.
func TestFileFields(t *testing.T) {
	s := apptest.Start(t)
	adm, u, other := admin(t, s), newUser(t, s), newUser(t, s)
	fileFieldsCollection(t, s, adm, "docs")
	recs := "/api/v1/collections/docs/records"
	a := uploaded(t, s, u.Access, "a.txt", []byte("note a"))
	b := uploaded(t, s, u.Access, "b.txt", []byte("note b"))
	big := uploaded(t, s, u.Access, "big.txt", bytes.Repeat([]byte("x"), 101))
	pdf := uploaded(t, s, u.Access, "p.pdf", []byte("%PDF-1.4\nxx"))
	theirs := uploaded(t, s, other.Access, "o.txt", []byte("theirs"))
	const missing = "0b8e2a4e-7a9c-4d5e-9f00-000000000001"

	bad := []struct {
		data  map[string]any
		field string
		why   string
	}{
		{map[string]any{"doc": theirs}, "doc", "file " + theirs + " not found"},
		{map[string]any{"doc": missing}, "doc", "file " + missing + " not found"},
		{map[string]any{"doc": "a.txt"}, "doc", "must be a file id"},
		{map[string]any{"doc": big}, "doc", "file " + big + " is 101 bytes, more than the 100 allowed"},
		{map[string]any{"doc": pdf}, "doc", "file " + pdf + " is application/pdf, not one of text/*"},
		{map[string]any{"pics": []any{a, b, pdf, big}}, "pics", "must have at most 3 files"},
		{map[string]any{"pics": []any{a, theirs}}, "pics", "file " + theirs + " not found"},
		{map[string]any{"pics": a}, "pics", "must be a list of file ids"},
	}
	for _, c := range bad {
		r := s.Do(t, http.MethodPost, recs, map[string]any{"data": c.data}, u.Access)
		apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", c.field+": "+c.why, map[string]string{c.field: c.why})
	}

	r := s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "one", "doc": a, "pics": []any{b, pdf, b}}}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID, "created": apptest.AnyTime, "updated": apptest.AnyTime,
		"data": map[string]any{"title": "one", "doc": a, "pics": []any{b, pdf}}, "expand": nil})
	id := r.JSON(t)["id"].(string)

	meta := func(fid, name, mime string, size int) map[string]any { return fileJSON(fid, u.ID, name, mime, size) }
	r = s.Do(t, http.MethodGet, recs+"/"+id+"?expand=doc,pics", nil, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"id": id, "created": apptest.AnyTime, "updated": apptest.AnyTime,
		"data": map[string]any{"title": "one", "doc": a, "pics": []any{b, pdf}},
		"expand": map[string]any{"doc": meta(a, "a.txt", "text/plain; charset=utf-8", 6),
			"pics": []any{meta(b, "b.txt", "text/plain; charset=utf-8", 6), meta(pdf, "p.pdf", "application/pdf", 11)}}})
	if url := r.JSON(t)["expand"].(map[string]any)["doc"].(map[string]any)["url"]; url != "/api/v1/files/"+a+"/download" {
		t.Fatalf("url %v", url)
	}
	// Another user sees the record but not the files: their metadata is left out.
	r = s.Do(t, http.MethodGet, recs+"?expand=pics,doc", nil, other.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"page": float64(1), "per_page": float64(20), "total": float64(1), "total_pages": float64(1),
		"items": []any{map[string]any{"id": id, "created": apptest.AnyTime, "updated": apptest.AnyTime,
			"data": map[string]any{"title": "one", "doc": a, "pics": []any{b, pdf}}, "expand": map[string]any{}}}})
	r = s.Do(t, http.MethodGet, recs+"/"+id+"?expand=doc.title", nil, u.Access)
	apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", `expand: unknown relation "doc.title"`, nil)

	// Another user's file is refused on update and bulk update too, and
	// nothing changes.
	r = s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"doc": theirs}}, u.Access)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "doc: file "+theirs+" not found", map[string]string{"doc": "file " + theirs + " not found"})
	r = s.Do(t, http.MethodPost, recs+"/bulk-update", map[string]any{"record_ids": []any{id}, "data": map[string]any{"pics": []any{theirs}}}, u.Access)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "pics: file "+theirs+" not found", map[string]string{"pics": "file " + theirs + " not found"})
	// The owner of the other file may not use the first user's either.
	r = s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"pics": []any{a}}}, other.Access)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "pics: file "+a+" not found", map[string]string{"pics": "file " + a + " not found"})

	// A second record shares pdf; replacing pics releases b (on_delete:
	// delete) but not pdf, which the second record still holds.
	r = s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "two", "pics": []any{pdf}}}, u.Access)
	if r.Status != http.StatusCreated {
		t.Fatalf("second record: %d %s", r.Status, r.Body)
	}
	second := r.JSON(t)["id"].(string)
	r = s.Do(t, http.MethodPatch, recs+"/"+id, map[string]any{"data": map[string]any{"pics": []any{pdf}, "doc": nil}}, u.Access)
	if r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	expectFiles(t, s, u, map[string]bool{a: true, b: false, big: true, pdf: true})
	// Deleting the first record keeps pdf (the second holds it); deleting
	// the second releases it. doc keeps its files (on_delete: keep).
	if r = s.Do(t, http.MethodDelete, recs+"/"+id, nil, u.Access); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	expectFiles(t, s, u, map[string]bool{pdf: true})
	if r = s.Do(t, http.MethodDelete, recs+"/"+second, nil, u.Access); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	expectFiles(t, s, u, map[string]bool{a: true, pdf: false})
	// CSV import checks the ids too, naming the rows, and imports nothing.
	csv := "title,doc,pics\nx,,\ny," + a + ",\"[\"\"" + theirs + "\"\"]\"\nz,,\"[\"\"" + theirs + "\"\"]\"\n"
	body, ct := multipartBody(t, part{name: "file", filename: "docs.csv", body: []byte(csv)})
	r = send(t, s, http.MethodPost, recs+"/import/csv", body, u.Access, "Content-Type", ct)
	why := "file " + theirs + " not found"
	apptest.ExpectJSON(t, r, http.StatusUnprocessableEntity, map[string]any{"error": "validation failed",
		"message": "row 3: pics: " + why + "; nothing was imported", "details": map[string]any{"fields": map[string]any{"pics": why},
			"total": float64(3), "errors": []any{map[string]any{"row": float64(3), "error": "pics: " + why}, map[string]any{"row": float64(4), "error": "pics: " + why}}}})
	// An admin may attach any user's file.
	r = s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"doc": theirs}}, adm.Access)
	if r.Status != http.StatusCreated {
		t.Fatalf("admin create: %d %s", r.Status, r.Body)
	}
}

// expectFiles checks which files still exist (their row and their bytes).
func expectFiles(t *testing.T, s *apptest.Server, u account, want map[string]bool) {
	t.Helper()
	for id, exists := range want {
		r := s.Do(t, http.MethodGet, "/api/v1/files/"+id+"/download", nil, u.Access)
		if got := r.Status == http.StatusOK; got != exists {
			t.Fatalf("file %s: download %d, want it to exist: %v", id, r.Status, exists)
		}
		if !exists {
			waitGone(t, s, diskPath(id))
		}
	}
}

// waitGone waits for the bytes of a released file to go: the instance
// removes them when it hears of the committed release.
func waitGone(t *testing.T, s *apptest.Server, rel string) {
	t.Helper()
	path := filepath.Join(s.Config.DataDir, "files", rel)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return
		}
	}
	t.Fatalf("%s still stored", rel)
}

// Through GraphQL, file fields are the ids (String) and a sibling member
// with the files' metadata; writes check the ids as REST does.
func TestFileFieldsGraphQL(t *testing.T) {
	s := apptest.Start(t)
	adm, u, other := admin(t, s), newUser(t, s), newUser(t, s)
	fileFieldsCollection(t, s, adm, "gdocs")
	r, _ := s.GraphQL(t, `{ collection(name: "gdocs") { schema { name file { max_files mime_types max_size on_delete } } } }`, nil, adm.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"collection": map[string]any{"schema": []any{
		map[string]any{"name": "title", "file": nil},
		map[string]any{"name": "doc", "file": map[string]any{"max_files": nil, "mime_types": []any{"text/*"}, "max_size": float64(100), "on_delete": "keep"}},
		map[string]any{"name": "pics", "file": map[string]any{"max_files": float64(3), "mime_types": nil, "max_size": nil, "on_delete": "delete"}},
	}}}})
	a := uploaded(t, s, u.Access, "a.txt", []byte("note a"))
	pdf := uploaded(t, s, u.Access, "p.pdf", []byte("%PDF-1.4\nxx"))
	theirs := uploaded(t, s, other.Access, "o.txt", []byte("theirs"))

	gqlError := func(op, message string, fields map[string]any) map[string]any {
		return map[string]any{"data": map[string]any{op: nil}, "errors": []any{map[string]any{"message": message, "path": []any{op},
			"locations": []any{map[string]any{"line": float64(1), "column": apptest.AnyNumber}}, "extensions": map[string]any{"code": "BAD_USER_INPUT", "fields": fields}}}}
	}
	notFound := "file " + theirs + " not found"
	insert := `mutation($o: gdocs_insert_input!) { insert_gdocs_one(object: $o) { id doc pics } }`
	r, _ = s.GraphQL(t, insert, map[string]any{"o": map[string]any{"doc": theirs}}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, gqlError("insert_gdocs_one", "doc: "+notFound, map[string]any{"doc": notFound}))
	r, _ = s.GraphQL(t, `mutation($o: [gdocs_insert_input!]!) { insert_gdocs(objects: $o) { affected_rows } }`,
		map[string]any{"o": []any{map[string]any{"pics": []any{a}}, map[string]any{"pics": []any{a, theirs}}}}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, gqlError("insert_gdocs", "objects.1.pics: "+notFound, map[string]any{"objects.1.pics": notFound}))
	r, _ = s.GraphQL(t, insert, map[string]any{"o": map[string]any{"doc": a, "pics": []any{pdf, a}}}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"insert_gdocs_one": map[string]any{
		"id": apptest.AnyUUID, "doc": a, "pics": []any{pdf, a}}}})
	id := r.JSON(t)["data"].(map[string]any)["insert_gdocs_one"].(map[string]any)["id"].(string)

	q := `query($id: ID!) { gdocs_by_pk(id: $id) { doc doc_file { __typename id original_filename mime_type size url } pics pics_files { n: original_filename } } }`
	r, _ = s.GraphQL(t, q, map[string]any{"id": id}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"gdocs_by_pk": map[string]any{
		"doc": a, "doc_file": map[string]any{"__typename": "file", "id": a, "original_filename": "a.txt", "mime_type": "text/plain; charset=utf-8",
			"size": float64(6), "url": "/api/v1/files/" + a + "/download"},
		"pics": []any{pdf, a}, "pics_files": []any{map[string]any{"n": "p.pdf"}, map[string]any{"n": "a.txt"}}}}})
	// Another user sees the ids but not the files.
	r, _ = s.GraphQL(t, q, map[string]any{"id": id}, other.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"gdocs_by_pk": map[string]any{
		"doc": a, "doc_file": nil, "pics": []any{pdf, a}, "pics_files": []any{}}}})

	r, _ = s.GraphQL(t, `mutation($id: ID!, $s: gdocs_set_input!) { update_gdocs_by_pk(pk_columns: {id: $id}, _set: $s) { pics } }`,
		map[string]any{"id": id, "s": map[string]any{"pics": []any{theirs}}}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, gqlError("update_gdocs_by_pk", "pics: "+notFound, map[string]any{"pics": notFound}))
	// Deleting the record releases pics' files (on_delete: delete), a too:
	// that doc (on_delete: keep) held it as well does not count, since no
	// record refers to it any more.
	r, _ = s.GraphQL(t, `mutation($id: ID!) { delete_gdocs_by_pk(id: $id) { id } }`, map[string]any{"id": id}, u.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"delete_gdocs_by_pk": map[string]any{"id": id}}})
	expectFiles(t, s, u, map[string]bool{a: false, pdf: false})
}
