package backups_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/backups"
)

// change alters every kind of backed-up data: records added, changed and
// deleted, a new user, a setting, a collection's rules and fields, a new
// collection related to posts, a file deleted and another uploaded.
func change(t *testing.T, s *apptest.Server, tok string) {
	t.Helper()
	addPost(t, s, tok, "fourth", 4)
	r := s.Do(t, http.MethodGet, "/api/v1/files", nil, tok)
	kept := r.JSON(t)["items"].([]any)[0].(map[string]any)["id"].(string)
	uploadFile(t, s, tok, "late.txt", []byte("bytes made after the backup"))
	r = s.Do(t, http.MethodGet, "/api/v1/collections/posts/records?sort=rank", nil, tok)
	items := r.JSON(t)["items"].([]any)
	first, second := items[0].(map[string]any)["id"].(string), items[1].(map[string]any)["id"].(string)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPatch, "/api/v1/collections/posts/records/" + first, map[string]any{"data": map[string]any{"title": "changed"}}},
		{http.MethodDelete, "/api/v1/collections/posts/records/" + second, nil},
		{http.MethodPost, "/api/v1/auth/register", map[string]any{"email": "late@example.com", "password": password, "password_confirm": password}},
		{http.MethodPost, "/api/v1/settings", map[string]any{"key": "greeting", "value": "hi", "category": "custom", "description": "d"}},
		{http.MethodPatch, "/api/v1/collections/posts", map[string]any{"list_rule": "@request.auth.id != ''"}},
		{http.MethodDelete, "/api/v1/files/" + kept, nil},
		{http.MethodPatch, "/api/v1/collections/posts", map[string]any{"schema": []any{map[string]any{"name": "title", "type": "text"},
			map[string]any{"name": "body", "type": "text", "validation": map[string]any{"unique": true}}}}},
		{http.MethodPost, "/api/v1/collections", map[string]any{"name": "extra", "schema": []any{map[string]any{"name": "x", "type": "text"},
			map[string]any{"name": "post", "type": "relation", "relation": map[string]any{"collection": "posts"}}}}},
	} {
		if r := s.Do(t, c.method, c.path, c.body, tok); r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
}

func TestRestoreBringsBackTheSnapshot(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	before := snapshot(t, s)
	kept := s.Do(t, http.MethodGet, "/api/v1/files", nil, tok).JSON(t)["items"].([]any)[0].(map[string]any)["id"].(string)
	b := createBackup(t, s, tok)
	change(t, s, tok)
	after := snapshot(t, s)
	for _, k := range []string{`data."posts"`, "users", "files", "settings", "collections", "definitions", "blobs"} {
		if after[k] == before[k] {
			t.Fatalf("the changes did not change %s", k)
		}
	}
	r := s.Do(t, http.MethodPost, "/api/v1/backups/"+b["id"].(string)+"/restore", nil, tok)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"status": "restored", "id": b["id"], "format_version": float64(2),
		"server_version": apptest.AnyString, "collections": []any{"posts"}, "rows": apptest.AnyNumber})
	sameSnapshot(t, snapshot(t, s), before)
	// Sessions are not in a backup: the admin signs in again, and the
	// registry serves the restored rules and records.
	login(t, s, "root@example.com")
	r = s.Do(t, http.MethodGet, "/api/v1/collections/posts/records?sort=rank", nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("list after restore: %d %s", r.Status, r.Body)
	}
	var titles []string
	for _, it := range r.JSON(t)["items"].([]any) {
		titles = append(titles, it.(map[string]any)["data"].(map[string]any)["title"].(string))
	}
	if strings.Join(titles, ",") != "first,second,third" {
		t.Fatalf("records after restore: %v", titles)
	}
	tok = login(t, s, "root@example.com")
	r = s.Do(t, http.MethodGet, "/api/v1/files/"+kept+"/download", nil, tok)
	if r.Status != http.StatusOK || string(r.Body) != "bytes the backup keeps" {
		t.Fatalf("the restored file: %d %q", r.Status, r.Body)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/collections/extra", nil, tok), http.StatusNotFound,
		"not found", `collection "extra" not found`, nil)
	if r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": "late@example.com", "password": password}, ""); r.Status != http.StatusUnauthorized {
		t.Fatalf("a user made after the backup still logs in: %d %s", r.Status, r.Body)
	}
}

func TestCorruptArchiveIsRefused(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	b := createBackup(t, s, tok)
	id := b["id"].(string)
	change(t, s, tok)
	changed := snapshot(t, s)
	rewrite(t, s, id, false, func(table string, rows []byte) []byte {
		if table == "data.posts" {
			return bytes.Replace(rows, []byte("first"), []byte("FIRST"), 1)
		}
		return rows
	})
	r := s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "corrupt backup",
		"backup archive is corrupt: checksum mismatch in tables/006.jsonl (data.posts)", nil)
	sameSnapshot(t, snapshot(t, s), changed)

	same := func(_ string, rows []byte) []byte { return rows }
	rewrite(t, s, id, true, same, func(m *backups.Manifest) { m.FormatVersion = 1 })
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok), http.StatusUnprocessableEntity,
		"unsupported backup", "backup format version 1 is not supported (this server restores version 2)", nil)
	rewrite(t, s, id, true, same, func(m *backups.Manifest) { m.FormatVersion = 2; m.Parts[6].Table = "public.backups" })
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok), http.StatusUnprocessableEntity,
		"corrupt backup", `backup archive is corrupt: unexpected table "public.backups"`, nil)
	sameSnapshot(t, snapshot(t, s), changed)
}

func TestRestoreFailingMidwayChangesNothing(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	b := createBackup(t, s, tok)
	id := b["id"].(string)
	change(t, s, tok)
	changed := snapshot(t, s)

	// An injected failure after every table is loaded, before the commit.
	undo := backups.SetBeforeCommit(func() error { return errors.New("injected") })
	r := s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok)
	undo()
	if r.Status != http.StatusInternalServerError {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	sameSnapshot(t, snapshot(t, s), changed)

	// A row PostgreSQL refuses in the last table, in an archive whose
	// checksums are right: the earlier tables were already loaded.
	rewrite(t, s, id, true, func(table string, rows []byte) []byte {
		if table == "data.posts" {
			return bytes.Replace(rows, []byte(`"rank": 2`), []byte(`"rank": "two"`), 1)
		}
		return rows
	})
	r = s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"restoring data.posts failed, nothing was changed: `) {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	sameSnapshot(t, snapshot(t, s), changed)
}

func TestBackupsAreAdminOnly(t *testing.T) {
	s := start(t)
	tok, userTok := setup(t, s)
	id := createBackup(t, s, tok)["id"].(string)
	for _, c := range [][2]string{
		{http.MethodPost, "/api/v1/backups"}, {http.MethodGet, "/api/v1/backups"},
		{http.MethodPost, "/api/v1/backups/" + id + "/restore"}, {http.MethodDelete, "/api/v1/backups/" + id},
		{http.MethodGet, "/api/v1/backups/" + id + "/download"}, {http.MethodGet, "/api/v1/backups/" + id},
	} {
		apptest.ExpectError(t, s.Do(t, c[0], c[1], nil, userTok), http.StatusForbidden, "forbidden", "admin access required", nil)
		apptest.ExpectError(t, s.Do(t, c[0], c[1], nil, ""), http.StatusUnauthorized, "unauthorized", "authentication required", nil)
	}
}

func TestDownloadListAndDelete(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	b := createBackup(t, s, tok)
	id := b["id"].(string)
	r := s.Do(t, http.MethodGet, "/api/v1/backups/"+id+"/download", nil, tok)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/gzip" ||
		r.Header.Get("Content-Disposition") != `attachment; filename="`+b["filename"].(string)+`"` ||
		r.Header.Get("Content-Length") != strconv.Itoa(len(r.Body)) || float64(len(r.Body)) != b["size_bytes"] {
		t.Fatalf("download: %d %v (%d bytes, listed %v)", r.Status, r.Header, len(r.Body), b["size_bytes"])
	}
	entries := readArchive(t, bytes.NewReader(r.Body))
	var m backups.Manifest
	if err := json.Unmarshal(entries[len(entries)-1].body, &m); err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for i, p := range m.Parts {
		sum := sha256.Sum256(entries[i].body)
		if entries[i].name != p.Path || hex.EncodeToString(sum[:]) != p.SHA256 {
			t.Errorf("part %s: entry %s, checksum mismatch", p.Path, entries[i].name)
		}
		rows[p.Table] = p.Rows
	}
	if m.FormatVersion != 2 || strings.Join(m.Collections, ",") != "posts" || rows["data.posts"] != 3 || rows["public.users"] != 2 {
		t.Fatalf("manifest: %+v", m)
	}
	// A completed backup's progress: its 6 system tables and posts, its
	// one file, and bytes equal to its size.
	if d := apptest.Diff(b["progress"], progress(7, 7, 1, 1, b["size_bytes"]), "progress"); d != "" {
		t.Fatal(d)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/backups", nil, tok), http.StatusOK, map[string]any{
		"items": []any{b}, "page": float64(1), "per_page": float64(20), "total": float64(1), "total_pages": float64(1)})
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/backups/"+id, nil, tok), http.StatusOK, b)

	if r := s.Do(t, http.MethodDelete, "/api/v1/backups/"+id, nil, tok); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	msg := `backup "` + id + `" not found`
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/backups/"+id+"/download", nil, tok), http.StatusNotFound, "not found", msg, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/backups/"+id, nil, tok), http.StatusNotFound, "not found", msg, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok), http.StatusNotFound, "not found", msg, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/backups/nope", nil, tok), http.StatusNotFound, "not found", `backup "nope" not found`, nil)
	if _, err := store(t, s).Stat(context.Background(), backups.KeyPrefix+id); err == nil {
		t.Fatal("the archive outlived its backup")
	}
}

// A restore first takes a backup named pre-restore-…; restoring that one
// brings back everything the first restore replaced: rows, definitions
// (a new collection, a changed field list) and files.
func TestPreRestoreBackupUndoesARestore(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	b := createBackup(t, s, tok)
	change(t, s, tok)
	changed := snapshot(t, s)
	if r := s.Do(t, http.MethodPost, "/api/v1/backups/"+b["id"].(string)+"/restore", nil, tok); r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	tok = login(t, s, "root@example.com")
	r := s.Do(t, http.MethodGet, "/api/v1/backups", nil, tok)
	pre := map[string]any{"id": apptest.AnyUUID, "filename": apptest.AnyString, "size_bytes": apptest.AnyNumber,
		"status": "completed", "created": apptest.AnyTime, "completed": apptest.AnyTime,
		"progress": progress(8, 8, 1, 1, apptest.AnyNumber)} // after change: posts, extra and the file late.txt
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{b, pre},
		"page": float64(1), "per_page": float64(20), "total": float64(2), "total_pages": float64(1)})
	item := r.JSON(t)["items"].([]any)[1].(map[string]any)
	if name := item["filename"].(string); !strings.HasPrefix(name, backups.PreRestorePrefix) || !strings.HasSuffix(name, ".tar.gz") {
		t.Fatalf("the pre-restore backup is named %q", name)
	}
	r = s.Do(t, http.MethodPost, "/api/v1/backups/"+item["id"].(string)+"/restore", nil, tok)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"status": "restored", "id": item["id"], "format_version": float64(2),
		"server_version": apptest.AnyString, "collections": []any{"extra", "posts"}, "rows": apptest.AnyNumber})
	sameSnapshot(t, snapshot(t, s), changed)
}

// Secret settings stay out of archives (the manifest names them only),
// and a restore keeps their live values.
func TestSecretsStayOutOfArchives(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	setSecret := func(v string) {
		r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "smtp_password", "value": v, "category": "email", "description": "d"}, tok)
		if r.Status >= 300 {
			t.Fatalf("set smtp_password: %d %s", r.Status, r.Body)
		}
	}
	setSecret("password-at-backup")
	id := createBackup(t, s, tok)["id"].(string)
	r := s.Do(t, http.MethodGet, "/api/v1/backups/"+id+"/download", nil, tok)
	entries := readArchive(t, bytes.NewReader(r.Body))
	for _, e := range entries {
		if bytes.Contains(e.body, []byte("password-at-backup")) {
			t.Fatalf("the secret is in %s", e.name)
		}
	}
	var m backups.Manifest
	if err := json.Unmarshal(entries[len(entries)-1].body, &m); err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.SecretsExcluded, ",") != "smtp_password" {
		t.Fatalf("secrets_excluded: %v", m.SecretsExcluded)
	}
	setSecret("password-now")
	if r := s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok); r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	var v string
	if err := s.DB(t).QueryRowContext(context.Background(), `SELECT value::text FROM settings WHERE key = 'smtp_password'`).Scan(&v); err != nil || v != `"password-now"` {
		t.Fatalf("smtp_password after the restore: %s %v", v, err)
	}
}
