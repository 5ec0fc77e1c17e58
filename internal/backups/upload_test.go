package backups_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/storage"
)

// pack writes entries as a gzipped tar; a header's Typeflag and Linkname
// come from hdr when given.
func pack(t *testing.T, entries []entry, hdr map[string]tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := hdr[e.name]
		h.Name, h.Mode, h.Size = e.name, 0o600, int64(len(e.body))
		if h.Typeflag == tar.TypeSymlink {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body[:h.Size]) //nolint:errcheck // a bytes.Buffer does not fail
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// An archive downloaded here, its backup deleted and the data changed,
// is uploaded and restored: the data is the archive's again.
func TestUploadedArchiveRestores(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	before := snapshot(t, s)
	id := createBackup(t, s, tok)["id"].(string)
	archive := s.Do(t, http.MethodGet, "/api/v1/backups/"+id+"/download", nil, tok).Body
	if r := s.Do(t, http.MethodDelete, "/api/v1/backups/"+id, nil, tok); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	change(t, s, tok)
	r := s.Do(t, http.MethodPost, "/api/v1/backups/upload", bytes.NewReader(archive), tok, "Content-Type", "application/gzip")
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID, "filename": apptest.AnyString,
		"size_bytes": float64(len(archive)), "status": "completed", "created": apptest.AnyTime, "completed": apptest.AnyTime,
		"progress": progress(7, 7, 1, 1, float64(len(archive)))})
	up := r.JSON(t)
	if !strings.HasPrefix(up["filename"].(string), "uploaded-") {
		t.Fatalf("filename %v", up["filename"])
	}
	r = s.Do(t, http.MethodPost, "/api/v1/backups/"+up["id"].(string)+"/restore", nil, tok)
	if r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	sameSnapshot(t, snapshot(t, s), before)
	tok = login(t, s, "root@example.com")
	r = s.Do(t, http.MethodGet, "/api/v1/backups/"+up["id"].(string)+"/download", nil, tok)
	if r.Status != http.StatusOK || !bytes.Equal(r.Body, archive) {
		t.Fatalf("download of the uploaded archive: %d, %d bytes", r.Status, len(r.Body))
	}
}

// Bad uploads are refused with 422 (413 over the size limit) and leave
// nothing behind: no backup listed, no blob stored.
func TestBadUploadsAreRefused(t *testing.T) {
	const limit = 1 << 20
	s := start(t, func(c *config.Config, _ *app.Options) { c.MaxImportBytes = limit })
	tok, userTok := setup(t, s)
	id := createBackup(t, s, tok)["id"].(string)
	entries := readArchive(t, bytes.NewReader(s.Do(t, http.MethodGet, "/api/v1/backups/"+id+"/download", nil, tok).Body))
	manifest := entries[len(entries)-1]
	withEntry := func(name string, h tar.Header) []byte {
		es := append(append([]entry{}, entries[:len(entries)-1]...), entry{name, []byte("x")}, manifest)
		return pack(t, es, map[string]tar.Header{name: h})
	}
	var m map[string]any
	if err := json.Unmarshal(manifest.body, &m); err != nil {
		t.Fatal(err)
	}
	m["format_version"] = 3
	v3, _ := json.Marshal(m)
	big := make([]byte, limit+1)
	blobsBefore := blobs(t, s)
	for _, c := range []struct {
		body          []byte
		status        int
		error, detail string
	}{
		{[]byte("not a gzip stream"), 422, "corrupt backup", "backup archive is corrupt: gzip: invalid header"},
		{withEntry("../evil", tar.Header{}), 422, "corrupt backup", `backup archive is corrupt: unexpected entry "../evil"`},
		{withEntry("/etc/cron.d/evil", tar.Header{}), 422, "corrupt backup", `backup archive is corrupt: unexpected entry "/etc/cron.d/evil"`},
		{withEntry("files/../../evil", tar.Header{}), 422, "corrupt backup", `backup archive is corrupt: unexpected entry "files/../../evil"`},
		{withEntry("files/link", tar.Header{Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), 422, "corrupt backup",
			`backup archive is corrupt: entry "files/link" is not a regular file`},
		{withEntry("files/extra", tar.Header{}), 422, "corrupt backup", "backup archive is corrupt: the archive has 9 entries, the manifest lists 8"},
		{pack(t, append(append([]entry{}, entries[:len(entries)-1]...), entry{"manifest.json", v3}), nil), 422, "unsupported backup",
			"backup format version 3 is not supported (this server restores version 2)"},
		{big, 413, "request too large", "request body is larger than 1048576 bytes"},
	} {
		r := s.Do(t, http.MethodPost, "/api/v1/backups/upload", bytes.NewReader(c.body), tok, "Content-Type", "application/gzip")
		apptest.ExpectError(t, r, c.status, c.error, c.detail, nil)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/backups/upload", bytes.NewReader(big[:10]), userTok), http.StatusForbidden,
		"forbidden", "admin access required", nil)
	r := s.Do(t, http.MethodGet, "/api/v1/backups", nil, tok)
	if total := r.JSON(t)["total"]; total != float64(1) {
		t.Fatalf("%v backups listed, want 1: %s", total, r.Body)
	}
	if got := blobs(t, s); got != blobsBefore {
		t.Fatalf("stored files changed:\n%s\nwant\n%s", got, blobsBefore)
	}
	var n int
	store(t, s).List(t.Context(), func(i storage.Info) error { //nolint:errcheck // counted below
		if strings.HasPrefix(i.Key, "backup_") {
			n++
		}
		return nil
	})
	if n != 1 {
		t.Fatalf("%d archives stored, want 1", n)
	}
}
