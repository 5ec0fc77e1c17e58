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
// deleted, a new user, a setting and a collection's rules.
func change(t *testing.T, s *apptest.Server, tok string) {
	t.Helper()
	addPost(t, s, tok, "fourth", 4)
	r := s.Do(t, http.MethodGet, "/api/v1/collections/posts/records?sort=rank", nil, tok)
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
	b := createBackup(t, s, tok)
	change(t, s, tok)
	if after := snapshot(t, s); after[`data."posts"`] == before[`data."posts"`] || after["users"] == before["users"] {
		t.Fatal("the changes did not change the data")
	}
	r := s.Do(t, http.MethodPost, "/api/v1/backups/"+b["id"].(string)+"/restore", nil, tok)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"status": "restored", "id": b["id"], "format_version": float64(1),
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
	rewrite(t, s, id, true, same, func(m *backups.Manifest) { m.FormatVersion = 2 })
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok), http.StatusUnprocessableEntity,
		"unsupported backup", "backup format version 2 is not supported (this server restores version 1)", nil)
	rewrite(t, s, id, true, same, func(m *backups.Manifest) { m.FormatVersion = 1; m.Parts[6].Table = "public.backups" })
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
		{http.MethodGet, "/api/v1/backups/" + id + "/download"},
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
	if m.FormatVersion != 1 || strings.Join(m.Collections, ",") != "posts" || rows["data.posts"] != 3 || rows["public.users"] != 2 {
		t.Fatalf("manifest: %+v", m)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/backups", nil, tok), http.StatusOK, map[string]any{
		"items": []any{b}, "page": float64(1), "per_page": float64(20), "total": float64(1), "total_pages": float64(1)})

	if r := s.Do(t, http.MethodDelete, "/api/v1/backups/"+id, nil, tok); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	msg := `backup "` + id + `" not found`
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/backups/"+id+"/download", nil, tok), http.StatusNotFound, "not found", msg, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok), http.StatusNotFound, "not found", msg, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/backups/nope", nil, tok), http.StatusNotFound, "not found", `backup "nope" not found`, nil)
	if _, err := store(t, s).Stat(context.Background(), backups.KeyPrefix+id); err == nil {
		t.Fatal("the archive outlived its backup")
	}
}

// A restore replaces rows, not table definitions: a collection created or
// whose fields changed since the backup is a 409 and nothing changes.
func TestRestoreRefusesChangedDefinitions(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	id := createBackup(t, s, tok)["id"].(string)
	r := s.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"name": "extra", "schema": []any{map[string]any{"name": "x", "type": "text"}}}, tok)
	if r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	changed := snapshot(t, s)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok), http.StatusConflict,
		"conflict", `collection "extra" was created after the backup; delete it first`, nil)
	sameSnapshot(t, snapshot(t, s), changed)

	if r := s.Do(t, http.MethodDelete, "/api/v1/collections/extra", nil, tok); r.Status != http.StatusNoContent {
		t.Fatalf("delete collection: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodPatch, "/api/v1/collections/posts", map[string]any{"schema": []any{map[string]any{"name": "title", "type": "text"}}}, tok)
	if r.Status != http.StatusOK {
		t.Fatalf("drop a field: %d %s", r.Status, r.Body)
	}
	changed = snapshot(t, s)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok), http.StatusConflict,
		"conflict", "table data.posts has changed since the backup (its columns differ)", nil)
	sameSnapshot(t, snapshot(t, s), changed)
}
