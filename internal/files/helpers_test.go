package files_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/pgtest"
)

// The tests of this package change max_file_size, which every instance of
// the database obeys, so they run apart from the other packages' tests.
func TestMain(m *testing.M) { pgtest.Main(m) }

const password = "secret123"

var emailSeq atomic.Int64

type account struct{ ID, Access string }

func accountFrom(t testing.TB, r *apptest.Response) account {
	t.Helper()
	body := r.JSON(t)
	return account{ID: body["user"].(map[string]any)["id"].(string), Access: body["token"].(map[string]any)["access_token"].(string)}
}

// admin is the first admin, set up once per database.
func admin(t testing.TB, s *apptest.Server) account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": "root@example.com", "password": password}, "")
	if r.Status == http.StatusOK {
		return accountFrom(t, r)
	}
	r = s.Do(t, http.MethodPost, "/api/v1/setup", map[string]any{"email": "root@example.com", "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	return accountFrom(t, r)
}

// newUser registers a fresh plain user.
func newUser(t *testing.T, s *apptest.Server) account {
	t.Helper()
	email := fmt.Sprintf("user-%d@example.com", emailSeq.Add(1))
	r := s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	return accountFrom(t, r)
}

// part is one multipart part: a file when filename is set, else a field.
type part struct {
	name, filename, contentType string
	body                        []byte
}

func fileP(filename string, body []byte) part {
	return part{name: "file", filename: filename, body: body}
}
func field(name, value string) part { return part{name: name, body: []byte(value)} }

// multipartBody encodes parts in order.
func multipartBody(t *testing.T, parts ...part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
			ct := p.contentType
			if ct == "" {
				ct = "application/octet-stream"
			}
			h.Set("Content-Type", ct)
		}
		h.Set("Content-Disposition", disp)
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.body)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, w.FormDataContentType()
}

// send makes a request with a raw body and reads the whole response.
func send(t *testing.T, s *apptest.Server, method, path string, body io.Reader, token string, headers ...string) *apptest.Response {
	t.Helper()
	return s.Do(t, method, path, body, token, headers...)
}

// upload posts parts to /api/v1/files.
func upload(t *testing.T, s *apptest.Server, token string, parts ...part) *apptest.Response {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	return send(t, s, http.MethodPost, "/api/v1/files", body, token, "Content-Type", ct)
}

// uploaded uploads one file and returns its id.
func uploaded(t *testing.T, s *apptest.Server, token, name string, body []byte, fields ...part) string {
	t.Helper()
	r := upload(t, s, token, append(fields, fileP(name, body))...)
	if r.Status != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", name, r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

// fileJSON is the exact FileResponse of an upload without record links.
func fileJSON(id any, userID, original, mimeType string, size int) map[string]any {
	return map[string]any{"id": id, "filename": id, "original_filename": original, "mime_type": mimeType, "size": size,
		"collection_name": nil, "record_id": nil, "field_name": nil, "user_id": userID,
		"created": apptest.AnyTime, "updated": apptest.AnyTime, "url": apptest.AnyString}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// stored lists every file under the server's storage root with its size,
// by path relative to the root: temporary files included.
func stored(t *testing.T, s *apptest.Server) map[string]int64 {
	t.Helper()
	root := filepath.Join(s.Config.DataDir, "files")
	out := map[string]int64{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// storedKeys is stored's paths, sorted.
func storedKeys(t *testing.T, s *apptest.Server) []string {
	t.Helper()
	var keys []string
	for k := range stored(t, s) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// diskPath is where the disk backend keeps id's bytes, relative to its root.
func diskPath(id string) string { return filepath.Join(id[:2], id) }
