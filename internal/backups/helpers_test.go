package backups_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fastcms/internal/apptest"
	"fastcms/internal/backups"
	"fastcms/internal/pgtest"
	"fastcms/internal/storage"
)

const password = "secret123"

// snapTables are the tables a backup holds in these tests.
var snapTables = []string{"users", "collections", "settings", "webhooks", "oauth_accounts", "files", `data."posts"`}

func login(t *testing.T, s *apptest.Server, email string) string {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "")
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return r.JSON(t)["token"].(map[string]any)["access_token"].(string)
}

// start resets the package's database to a fresh install (the tests
// restore over all of it, so they share nothing) and starts a server.
func start(t *testing.T, opts ...apptest.Option) *apptest.Server {
	t.Helper()
	_, err := pgtest.Open(t).ExecContext(context.Background(), `DROP SCHEMA data CASCADE; CREATE SCHEMA data;
		TRUNCATE users, collections, webhooks, files, backups CASCADE; DELETE FROM settings WHERE key = 'greeting'`)
	if err != nil {
		t.Fatal(err)
	}
	return apptest.Start(t, opts...)
}

// setup makes the first admin, a collection posts with three records and
// a second user, and returns the admin's and the user's tokens.
func setup(t *testing.T, s *apptest.Server) (adminTok, userTok string) {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/setup", map[string]any{"email": "root@example.com", "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	adminTok = login(t, s, "root@example.com")
	r = s.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"name": "posts",
		"schema":    []any{map[string]any{"name": "title", "type": "text"}, map[string]any{"name": "rank", "type": "number"}},
		"list_rule": "", "view_rule": "", "create_rule": "", "update_rule": "", "delete_rule": ""}, adminTok)
	if r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	for i, title := range []string{"first", "second", "third"} {
		addPost(t, s, adminTok, title, i)
	}
	uploadFile(t, s, adminTok, "kept.txt", []byte("bytes the backup keeps"))
	r = s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": "user@example.com", "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	return adminTok, login(t, s, "user@example.com")
}

func addPost(t *testing.T, s *apptest.Server, tok, title string, n int) string {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/collections/posts/records", map[string]any{"data": map[string]any{"title": title, "rank": n}}, tok)
	if r.Status != http.StatusCreated {
		t.Fatalf("create record: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

// definitions lists the collection tables' columns, indexes, constraints
// and triggers. Column order is left out: a recreated table has its fields
// in definition order, an altered one in the order they were added.
const definitions = `SELECT jsonb_build_array(
	(SELECT jsonb_agg(jsonb_build_array(table_name, column_name, data_type, is_nullable, column_default, generation_expression)
		ORDER BY table_name, column_name) FROM information_schema.columns WHERE table_schema = 'data'),
	(SELECT jsonb_agg(jsonb_build_array(indexname, indexdef) ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'data'),
	(SELECT jsonb_agg(jsonb_build_array(conname, pg_get_constraintdef(c.oid)) ORDER BY conname)
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'data'),
	(SELECT jsonb_agg(tgname ORDER BY tgname) FROM pg_trigger g JOIN pg_class r ON r.oid = g.tgrelid
		JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = 'data' AND NOT g.tgisinternal))::text`

// snapshot is every backed-up table's rows, in a fixed order, as JSON,
// the collection tables' definitions and the stored files' bytes.
func snapshot(t *testing.T, s *apptest.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range snapTables {
		var v string
		err := s.DB(t).QueryRowContext(context.Background(),
			`SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]')::text FROM `+tbl+` t`).Scan(&v)
		if err != nil {
			t.Fatal(err)
		}
		out[tbl] = v
	}
	var defs string
	if err := s.DB(t).QueryRowContext(context.Background(), definitions).Scan(&defs); err != nil {
		t.Fatal(err)
	}
	out["definitions"] = defs
	out["blobs"] = blobs(t, s)
	return out
}

// blobs lists the stored files (archives and thumbnails left out) with
// the sha256 of their bytes.
func blobs(t *testing.T, s *apptest.Server) string {
	t.Helper()
	st := store(t, s)
	var out []string
	err := st.List(context.Background(), func(i storage.Info) error {
		if strings.HasPrefix(i.Key, backups.KeyPrefix) || strings.Contains(i.Key, "_thumb_") {
			return nil
		}
		rc, err := st.Open(context.Background(), i.Key, 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		h := sha256.New()
		if _, err := io.Copy(h, rc); err != nil {
			return err
		}
		out = append(out, i.Key+"="+hex.EncodeToString(h.Sum(nil)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// uploadFile stores body as a file and returns its id.
func uploadFile(t *testing.T, s *apptest.Server, tok, name string, body []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	pw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(body) //nolint:errcheck // a bytes.Buffer does not fail
	w.Close()
	r := s.Do(t, http.MethodPost, "/api/v1/files", &buf, tok, "Content-Type", w.FormDataContentType())
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

func sameSnapshot(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("table %s differs:\n got %s\nwant %s", k, got[k], w)
		}
	}
}

// createBackup starts a backup, checks the answer and waits until it is
// completed.
func createBackup(t *testing.T, s *apptest.Server, tok string) map[string]any {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/backups", nil, tok)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID, "filename": apptest.AnyString,
		"size_bytes": float64(0), "status": "running", "created": apptest.AnyTime, "completed": nil, "progress": progress(0, 0, 0, 0, 0.0)})
	b := waitBackup(t, s, tok, r.JSON(t)["id"].(string))
	if b["status"] != backups.Completed {
		t.Fatalf("backup %s: %v", b["status"], b["error"])
	}
	return b
}

// progress is a backup's progress as the REST API shows it.
func progress(tablesDone, tablesTotal, filesDone, filesTotal int, bytes any) map[string]any {
	return map[string]any{"tables_done": float64(tablesDone), "tables_total": float64(tablesTotal),
		"files_done": float64(filesDone), "files_total": float64(filesTotal), "bytes": bytes}
}

// waitBackup waits until backup id is no longer running and returns it as
// the list shows it.
func waitBackup(t *testing.T, s *apptest.Server, tok, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := s.Do(t, http.MethodGet, "/api/v1/backups?per_page=100", nil, tok)
		if r.Status != http.StatusOK {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		for _, it := range r.JSON(t)["items"].([]any) {
			if b := it.(map[string]any); b["id"] == id && b["status"] != backups.Running {
				return b
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the backup did not finish")
	return nil
}

// store is the server's storage backend, opened beside it, to tamper with
// an archive as an attacker or a failing disk would.
func store(t *testing.T, s *apptest.Server) storage.Store {
	t.Helper()
	st, err := storage.NewDisk(filepath.Join(s.Config.DataDir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

type entry struct {
	name string
	body []byte
}

// readArchive returns an archive's entries, in order.
func readArchive(t *testing.T, r io.Reader) []entry {
	t.Helper()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{h.Name, b})
	}
}

// rewrite replaces backup id's archive with edit's version of its
// entries, recomputing the manifest's checksums when fixSums is set, and
// then applying editManifest when given.
func rewrite(t *testing.T, s *apptest.Server, id string, fixSums bool, edit func(table string, rows []byte) []byte, editManifest ...func(*backups.Manifest)) {
	t.Helper()
	st := store(t, s)
	rc, err := st.Open(context.Background(), backups.KeyPrefix+id, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	entries := readArchive(t, rc)
	rc.Close()
	var m backups.Manifest
	if err := json.Unmarshal(entries[len(entries)-1].body, &m); err != nil {
		t.Fatal(err)
	}
	for i := range m.Parts {
		p := &m.Parts[i]
		entries[i].body = edit(p.Table, entries[i].body)
		if fixSums {
			sum := sha256.Sum256(entries[i].body)
			p.SHA256, p.Size = hex.EncodeToString(sum[:]), int64(len(entries[i].body))
		}
	}
	for _, fn := range editManifest {
		fn(&m)
	}
	entries[len(entries)-1].body, _ = json.Marshal(m)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body) //nolint:errcheck // a bytes.Buffer does not fail
	}
	tw.Close()
	gz.Close()
	if _, err := st.Put(context.Background(), backups.KeyPrefix+id, &buf); err != nil {
		t.Fatal(err)
	}
}
