package files_test

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"fastcms/internal/apptest"
)

// Binary (every byte value, past the sniffing window) and text come back
// byte for byte, with the headers of the contract, and lie on disk under
// the id.
func TestUploadDownloadRoundTrip(t *testing.T) {
	s := apptest.Start(t)
	u := newUser(t, s)
	bin := make([]byte, 300_000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range bin {
		bin[i] = byte(rng.UintN(256))
	}
	copy(bin, []byte{0, 1, 2, 0xff, 0xfe})
	text := []byte("hello, files\nsecond line: ünïcödé\n")
	cases := []struct {
		name, mime string
		body       []byte
	}{
		{"data.bin", "application/octet-stream", bin},
		{"notes.txt", "text/plain; charset=utf-8", text},
		{"empty.txt", "text/plain; charset=utf-8", []byte{}},
	}
	for _, c := range cases {
		r := upload(t, s, u.Access, fileP(c.name, c.body))
		apptest.ExpectJSON(t, r, http.StatusCreated, fileJSON(apptest.AnyUUID, u.ID, c.name, c.mime, len(c.body)))
		id := r.JSON(t)["id"].(string)
		if url := r.JSON(t)["url"]; url != "/api/v1/files/"+id+"/download" {
			t.Fatalf("url %v", url)
		}
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/files/"+id, nil, u.Access), http.StatusOK,
			fileJSON(id, u.ID, c.name, c.mime, len(c.body)))

		d := send(t, s, http.MethodGet, "/api/v1/files/"+id+"/download", nil, u.Access)
		if d.Status != http.StatusOK || !bytes.Equal(d.Body, c.body) {
			t.Fatalf("%s: download %d, %d bytes, want %d bytes", c.name, d.Status, len(d.Body), len(c.body))
		}
		want := map[string]string{
			"Content-Type":            c.mime,
			"Content-Length":          strconv.Itoa(len(c.body)),
			"Content-Disposition":     `attachment; filename="` + c.name + `"; filename*=UTF-8''` + c.name,
			"Etag":                    `"` + sum(c.body) + `"`,
			"Accept-Ranges":           "bytes",
			"Cache-Control":           "private, no-cache",
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; sandbox",
		}
		for k, v := range want {
			if got := d.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", c.name, k, got, v)
			}
		}
		onDisk, err := os.ReadFile(filepath.Join(s.Config.DataDir, "files", diskPath(id)))
		if err != nil || !bytes.Equal(onDisk, c.body) {
			t.Fatalf("%s: on disk: %v, %d bytes", c.name, err, len(onDisk))
		}
	}
}

// One byte over max_file_size is refused while streaming, leaving no row
// and no bytes (not even a temporary file); the limit itself is accepted.
func TestUploadTooLarge(t *testing.T) {
	s := apptest.Start(t)
	root := admin(t, s)
	u := newUser(t, s)
	r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "max_file_size", "value": 1000}, root.Access)
	if r.Status != http.StatusOK {
		t.Fatalf("set max_file_size: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { s.Do(t, http.MethodDelete, "/api/v1/settings/max_file_size", nil, root.Access) })
	before := storedKeys(t, s)

	apptest.ExpectError(t, upload(t, s, u.Access, fileP("big.bin", bytes.Repeat([]byte{7}, 1001))),
		http.StatusRequestEntityTooLarge, "file too large", "file is larger than max_file_size (1000 bytes)", nil)
	// Far over the limit too: the server stops reading, the answer is the same.
	apptest.ExpectError(t, upload(t, s, u.Access, fileP("huge.bin", bytes.Repeat([]byte{7}, 5<<20))),
		http.StatusRequestEntityTooLarge, "file too large", "file is larger than max_file_size (1000 bytes)", nil)
	if after := storedKeys(t, s); !slices.Equal(before, after) {
		t.Fatalf("stored after a refused upload: %v, before %v", after, before)
	}
	var rows int
	if err := s.DB(t).NewRaw("SELECT count(*) FROM files WHERE user_id = ?", u.ID).Scan(t.Context(), &rows); err != nil || rows != 0 {
		t.Fatalf("rows after a refused upload: %d, %v", rows, err)
	}

	id := uploaded(t, s, u.Access, "exact.bin", bytes.Repeat([]byte{7}, 1000))
	if got := stored(t, s)[diskPath(id)]; got != 1000 {
		t.Fatalf("stored %d bytes, want 1000", got)
	}
}

// Ranges answer 206 with Content-Range, conditional requests 304.
func TestDownloadRangeAndConditional(t *testing.T) {
	s := apptest.Start(t)
	u := newUser(t, s)
	body := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()-=_+[]{};:,.<>/?~`0123456789")
	if len(body) != 100 {
		t.Fatalf("body is %d bytes", len(body))
	}
	id := uploaded(t, s, u.Access, "r.txt", body)
	path := "/api/v1/files/" + id + "/download"
	etag := `"` + sum(body) + `"`

	for _, c := range []struct {
		rng          string
		status       int
		want, crange string
	}{
		{"bytes=0-9", 206, "0123456789", "bytes 0-9/100"},
		{"bytes=90-", 206, string(body[90:]), "bytes 90-99/100"},
		{"bytes=-5", 206, string(body[95:]), "bytes 95-99/100"},
		{"bytes=95-1000", 206, string(body[95:]), "bytes 95-99/100"},
		{"bytes=-500", 206, string(body), "bytes 0-99/100"},
		{"bytes=0-1,5-6", 200, string(body), ""}, // several ranges: the whole file
		{"bytes=9-3", 200, string(body), ""},     // malformed: ignored
		{"items=0-3", 200, string(body), ""},
	} {
		r := send(t, s, http.MethodGet, path, nil, u.Access, "Range", c.rng)
		if r.Status != c.status || string(r.Body) != c.want || r.Header.Get("Content-Range") != c.crange {
			t.Errorf("Range %s: %d %q Content-Range %q, want %d %q %q", c.rng, r.Status, r.Body, r.Header.Get("Content-Range"), c.status, c.want, c.crange)
		}
		if r.Header.Get("Content-Length") != strconv.Itoa(len(c.want)) {
			t.Errorf("Range %s: Content-Length %s", c.rng, r.Header.Get("Content-Length"))
		}
	}
	for _, rng := range []string{"bytes=100-", "bytes=-0"} {
		r := send(t, s, http.MethodGet, path, nil, u.Access, "Range", rng)
		apptest.ExpectError(t, r, http.StatusRequestedRangeNotSatisfiable, "range not satisfiable",
			`Range "`+rng+`" is outside the file's 100 bytes`, nil)
		if r.Header.Get("Content-Range") != "bytes */100" {
			t.Errorf("Range %s: Content-Range %q", rng, r.Header.Get("Content-Range"))
		}
	}

	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		r := send(t, s, http.MethodGet, path, nil, u.Access, "If-None-Match", inm)
		if r.Status != http.StatusNotModified || len(r.Body) != 0 || r.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d %q ETag %q", inm, r.Status, r.Body, r.Header.Get("ETag"))
		}
	}
	if r := send(t, s, http.MethodGet, path, nil, u.Access, "If-None-Match", `"other"`); r.Status != 200 || !bytes.Equal(r.Body, body) {
		t.Errorf("stale If-None-Match: %d", r.Status)
	}
	// If-Range: the range only while the ETag still matches.
	if r := send(t, s, http.MethodGet, path, nil, u.Access, "Range", "bytes=0-1", "If-Range", etag); r.Status != 206 || string(r.Body) != "01" {
		t.Errorf("matching If-Range: %d %q", r.Status, r.Body)
	}
	if r := send(t, s, http.MethodGet, path, nil, u.Access, "Range", "bytes=0-1", "If-Range", `"old"`); r.Status != 200 || !bytes.Equal(r.Body, body) {
		t.Errorf("stale If-Range: %d %q", r.Status, r.Body)
	}
}

// A user's file is not found for another user, on read, download and
// delete, and missing from their list; an admin sees and deletes it, and
// its bytes go with the row.
func TestFileOwnership(t *testing.T) {
	s := apptest.Start(t)
	root := admin(t, s)
	owner, other := newUser(t, s), newUser(t, s)
	id := uploaded(t, s, owner.Access, "mine.txt", []byte("private"))
	for _, r := range []*apptest.Response{
		s.Do(t, http.MethodGet, "/api/v1/files/"+id, nil, other.Access),
		s.Do(t, http.MethodGet, "/api/v1/files/"+id+"/download", nil, other.Access),
		s.Do(t, http.MethodDelete, "/api/v1/files/"+id, nil, other.Access),
	} {
		apptest.ExpectError(t, r, http.StatusNotFound, "not found", "file not found", nil)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/files", nil, other.Access), http.StatusOK,
		map[string]any{"items": []any{}, "total": 0, "page": 1, "per_page": 20, "total_pages": 0})
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/files", nil, owner.Access), http.StatusOK,
		map[string]any{"items": []any{fileJSON(id, owner.ID, "mine.txt", "text/plain; charset=utf-8", 7)}, "total": 1, "page": 1, "per_page": 20, "total_pages": 1})
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/files/"+id, nil, ""))

	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/files/"+id, nil, root.Access), http.StatusOK,
		fileJSON(id, owner.ID, "mine.txt", "text/plain; charset=utf-8", 7))
	if r := s.Do(t, http.MethodDelete, "/api/v1/files/"+id, nil, root.Access); r.Status != http.StatusNoContent {
		t.Fatalf("admin delete: %d %s", r.Status, r.Body)
	}
	if _, ok := stored(t, s)[diskPath(id)]; ok {
		t.Fatal("bytes left after delete")
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/files/"+id, nil, owner.Access), http.StatusNotFound, "not found", "file not found", nil)

	mine := uploaded(t, s, owner.Access, "again.txt", []byte("again"))
	if r := s.Do(t, http.MethodDelete, "/api/v1/files/"+mine, nil, owner.Access); r.Status != http.StatusNoContent {
		t.Fatalf("owner delete: %d %s", r.Status, r.Body)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/files/"+mine, nil, owner.Access), http.StatusNotFound, "not found", "file not found", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/files/not-a-uuid", nil, owner.Access), http.StatusNotFound, "not found", "file not found", nil)

	// A deleted account's files stay, ownerless, for admins.
	left := uploaded(t, s, other.Access, "left.txt", []byte("left"))
	if r := s.Do(t, http.MethodDelete, "/api/v1/auth/me", nil, other.Access); r.Status != http.StatusNoContent {
		t.Fatalf("delete account: %d %s", r.Status, r.Body)
	}
	want := fileJSON(left, "", "left.txt", "text/plain; charset=utf-8", 4)
	want["user_id"] = nil
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/files/"+left, nil, root.Access), http.StatusOK, want)
}

func expectUnauthorized(t *testing.T, r *apptest.Response) {
	t.Helper()
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401: %s", r.Status, r.Body)
	}
}

// Names that look like paths are kept as their last element, only as
// metadata: the disk holds id-named files and nothing outside its root.
func TestTraversalLookingNames(t *testing.T) {
	s := apptest.Start(t)
	u := newUser(t, s)
	for _, c := range []struct{ sent, kept, disposition string }{
		{"../../etc/passwd", "passwd", `attachment; filename="passwd"; filename*=UTF-8''passwd`},
		{`..\..\windows\evil.txt`, "evil.txt", `attachment; filename="evil.txt"; filename*=UTF-8''evil.txt`},
		{"..", "file", `attachment; filename="file"; filename*=UTF-8''file`},
		{`ré"sumé 1.pdf`, `ré"sumé 1.pdf`, `attachment; filename="r__sum_ 1.pdf"; filename*=UTF-8''r%C3%A9%22sum%C3%A9%201.pdf`},
	} {
		r := upload(t, s, u.Access, fileP(c.sent, []byte("x")))
		apptest.ExpectJSON(t, r, http.StatusCreated, fileJSON(apptest.AnyUUID, u.ID, c.kept, "text/plain; charset=utf-8", 1))
		id := r.JSON(t)["id"].(string)
		d := send(t, s, http.MethodGet, "/api/v1/files/"+id+"/download", nil, u.Access)
		if got := d.Header.Get("Content-Disposition"); got != c.disposition {
			t.Errorf("%q: Content-Disposition %q, want %q", c.sent, got, c.disposition)
		}
		if _, ok := stored(t, s)[diskPath(id)]; !ok {
			t.Errorf("%q: not stored under its id", c.sent)
		}
	}
	for _, k := range storedKeys(t, s) {
		if dir, name := filepath.Split(k); len(name) != 36 || dir != name[:2]+"/" {
			t.Errorf("stored %q: not an id-named path", k)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Config.DataDir, "etc")); !os.IsNotExist(err) {
		t.Errorf("something was written beside the storage root: %v", err)
	}
}

// The type comes from the bytes: a PNG called page.html and sent as
// text/html is image/png; HTML sent as image/png is text/html, served as
// an attachment under nosniff and a sandbox.
func TestTypeSniffedNotClaimed(t *testing.T) {
	s := apptest.Start(t)
	u := newUser(t, s)
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	r := upload(t, s, u.Access, part{name: "file", filename: "page.html", contentType: "text/html", body: png})
	apptest.ExpectJSON(t, r, http.StatusCreated, fileJSON(apptest.AnyUUID, u.ID, "page.html", "image/png", len(png)))
	r = upload(t, s, u.Access, part{name: "file", filename: "cat.png", contentType: "image/png", body: []byte("<html><script>alert(1)</script>")})
	apptest.ExpectJSON(t, r, http.StatusCreated, fileJSON(apptest.AnyUUID, u.ID, "cat.png", "text/html; charset=utf-8", 31))
}

// Record links come from text parts before or after the file; the list
// filters by them and pages.
func TestListFiltersAndLinks(t *testing.T) {
	s := apptest.Start(t)
	u := newUser(t, s)
	rec := "5b0e6a52-3f5c-4d2a-9a57-2f9c1c7e0a11"
	r := upload(t, s, u.Access, field("collection_name", "posts"), fileP("a.txt", []byte("a")), field("record_id", rec), field("field_name", "cover"))
	want := fileJSON(apptest.AnyUUID, u.ID, "a.txt", "text/plain; charset=utf-8", 1)
	want["collection_name"], want["record_id"], want["field_name"] = "posts", rec, "cover"
	apptest.ExpectJSON(t, r, http.StatusCreated, want)
	a := r.JSON(t)["id"].(string)
	b := uploaded(t, s, u.Access, "b.txt", []byte("b"), field("collection_name", "posts"))
	uploaded(t, s, u.Access, "c.txt", []byte("c"), field("collection_name", "pages"))

	ids := func(r *apptest.Response) []any {
		t.Helper()
		if r.Status != http.StatusOK {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		var out []any
		for _, it := range r.JSON(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["id"])
		}
		return out
	}
	if got := ids(s.Do(t, http.MethodGet, "/api/v1/files?collection_name=posts", nil, u.Access)); !slices.Equal(got, []any{a, b}) {
		t.Errorf("collection_name=posts: %v", got)
	}
	if got := ids(s.Do(t, http.MethodGet, "/api/v1/files?collection_name=posts&record_id="+rec, nil, u.Access)); !slices.Equal(got, []any{a}) {
		t.Errorf("record_id: %v", got)
	}
	r = s.Do(t, http.MethodGet, "/api/v1/files?per_page=2&page=2", nil, u.Access)
	if got := r.JSON(t); got["total"] != 3.0 || got["total_pages"] != 2.0 || len(got["items"].([]any)) != 1 {
		t.Errorf("page 2: %s", r.Body)
	}
}

// Bad uploads are 4xx in the error envelope, naming the field, and store
// nothing.
func TestUploadBadInput(t *testing.T) {
	s := apptest.Start(t)
	u := newUser(t, s)
	before := storedKeys(t, s)
	apptest.ExpectError(t, upload(t, s, u.Access, field("collection_name", "posts")), http.StatusUnprocessableEntity,
		"validation failed", `file: is required: send the file as the multipart part "file"`, map[string]string{"file": `is required: send the file as the multipart part "file"`})
	apptest.ExpectError(t, upload(t, s, u.Access, field("record_id", "nope"), fileP("a.txt", []byte("a"))), http.StatusUnprocessableEntity,
		"validation failed", "validation failed", map[string]string{"record_id": "must be a record id (a UUID)", "collection_name": "is required with record_id or field_name"})
	apptest.ExpectError(t, upload(t, s, u.Access, fileP("a.txt", []byte("a")), field("collection_name", "../x")), http.StatusUnprocessableEntity,
		"validation failed", "collection_name: must be 1 to 63 letters, digits or underscores", map[string]string{"collection_name": "must be 1 to 63 letters, digits or underscores"})
	apptest.ExpectError(t, upload(t, s, u.Access, fileP("a.txt", []byte("a")), fileP("b.txt", []byte("b"))), http.StatusUnprocessableEntity,
		"validation failed", "file: send one file per upload", map[string]string{"file": "send one file per upload"})
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/files", map[string]any{"file": "x"}, u.Access), http.StatusUnsupportedMediaType,
		"unsupported media type", `Content-Type must be multipart/form-data, with the file in the part "file"`, nil)
	expectUnauthorized(t, upload(t, s, "", fileP("a.txt", []byte("a"))))
	if after := storedKeys(t, s); !slices.Equal(before, after) {
		t.Fatalf("stored after refused uploads: %v", after)
	}
}

// allowed_file_types refuses other sniffed types with 415 before storing
// anything: HTML sent as cat.png with Content-Type image/png is refused
// where images are allowed, a real PNG is accepted.
func TestAllowedFileTypes(t *testing.T) {
	s := apptest.Start(t)
	root := admin(t, s)
	u := newUser(t, s)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "allowed_file_types", "value": []string{"image/*", "bad"}}, root.Access),
		http.StatusUnprocessableEntity, "validation failed", `allowed_file_types: "bad" is not a media type like "image/png" or "image/*"`,
		map[string]string{"allowed_file_types": `"bad" is not a media type like "image/png" or "image/*"`})
	if r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "allowed_file_types", "value": []string{"image/*", "Application/PDF"}}, root.Access); r.Status != http.StatusOK {
		t.Fatalf("set allowed_file_types: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { s.Do(t, http.MethodDelete, "/api/v1/settings/allowed_file_types", nil, root.Access) })
	before := storedKeys(t, s)
	spoofed := part{name: "file", filename: "cat.png", contentType: "image/png", body: []byte("<html><script>alert(1)</script>")}
	apptest.ExpectError(t, upload(t, s, u.Access, spoofed), http.StatusUnsupportedMediaType, "unsupported media type",
		"file type text/html is not allowed (allowed_file_types: image/*, application/pdf)", nil)
	apptest.ExpectError(t, upload(t, s, u.Access, fileP("a.txt", []byte("text"))), http.StatusUnsupportedMediaType, "unsupported media type",
		"file type text/plain is not allowed (allowed_file_types: image/*, application/pdf)", nil)
	if after := storedKeys(t, s); !slices.Equal(before, after) {
		t.Fatalf("stored after refused uploads: %v", after)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16)...)
	apptest.ExpectJSON(t, upload(t, s, u.Access, fileP("cat.png", png)), http.StatusCreated, fileJSON(apptest.AnyUUID, u.ID, "cat.png", "image/png", len(png)))
	pdf := []byte("%PDF-1.7\n...")
	apptest.ExpectJSON(t, upload(t, s, u.Access, fileP("doc.pdf", pdf)), http.StatusCreated, fileJSON(apptest.AnyUUID, u.ID, "doc.pdf", "application/pdf", len(pdf)))
}
