package backups

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/storage"
)

// maxManifest bounds the manifest a restore reads.
const maxManifest = 16 << 20

// partName is the form of a table part's entry name.
var partName = regexp.MustCompile(`^tables/[0-9]{3,6}\.jsonl$`)

// corrupt is the answer for an archive that fails verification.
func corrupt(format string, args ...any) error {
	return apierr.New(http.StatusUnprocessableEntity, "corrupt backup", "backup archive is corrupt: "+format, args...)
}

// openArchive opens backup id's archive as a tar stream.
func (s *Service) openArchive(ctx context.Context, id string) (*tar.Reader, func(), error) {
	r, err := s.store.Open(ctx, key(id), 0, -1)
	if err != nil {
		return nil, nil, err
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		r.Close()
		return nil, nil, corrupt("%v", err)
	}
	return tar.NewReader(gz), func() { gz.Close(); r.Close() }, nil
}

// verify reads the whole archive, hashing every entry, and checks the
// entry names, sizes, hashes and format version against the manifest.
// Entry names are checked on their own too, though none becomes a path:
// tables are streamed into the database and a file's name must be a valid
// storage key, so "../x", "/etc/x" or links are refused, never followed.
//
// The files put reports true for are stored in the current backend while
// they are read; on any failure verify removes them again, else it
// returns them.
func (s *Service) verify(ctx context.Context, id string, put func(key string) bool) (m *Manifest, written []blob, err error) {
	tr, closeFn, err := s.openArchive(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	defer closeFn()
	defer func() {
		if err != nil {
			s.deleteBlobs(written)
			written = nil
		}
	}()
	type sum struct {
		size int64
		hash string
	}
	sums := map[string]sum{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, written, corrupt("%v", err)
		}
		if !h.FileInfo().Mode().IsRegular() {
			return nil, written, corrupt("entry %q is not a regular file", h.Name)
		}
		if _, dup := sums[h.Name]; dup || (h.Name == manifestName && m != nil) {
			return nil, written, corrupt("entry %q appears twice", h.Name)
		}
		if h.Name == manifestName {
			if m, err = readManifest(tr, h.Size); err != nil {
				return nil, written, err
			}
			continue
		}
		k, isFile := strings.CutPrefix(h.Name, filesDir)
		if isFile && !storage.ValidKey(k) || !isFile && !partName.MatchString(h.Name) {
			return nil, written, corrupt("unexpected entry %q", h.Name)
		}
		hash := sha256.New()
		var n int64
		if isFile && put(k) {
			n, err = s.store.Put(ctx, k, io.TeeReader(tr, hash))
			if err == nil {
				written = append(written, blob{k, s.stores.Current})
			}
		} else {
			n, err = io.Copy(hash, tr)
		}
		if err != nil {
			return nil, written, corrupt("%s: %v", h.Name, err)
		}
		sums[h.Name] = sum{n, hex.EncodeToString(hash.Sum(nil))}
	}
	if m == nil {
		return nil, written, corrupt("no manifest")
	}
	if m.FormatVersion != FormatVersion {
		return nil, written, apierr.New(http.StatusUnprocessableEntity, "unsupported backup",
			"backup format version %d is not supported (this server restores version %d)", m.FormatVersion, FormatVersion)
	}
	if len(sums) != len(m.Parts)+len(m.Files) {
		return nil, written, corrupt("the archive has %d entries, the manifest lists %d", len(sums), len(m.Parts)+len(m.Files))
	}
	if len(m.Parts) != len(systemTables)+len(m.Collections) {
		return nil, written, corrupt("the manifest lists %d parts for %d tables", len(m.Parts), len(systemTables)+len(m.Collections))
	}
	seen := map[string]bool{}
	for _, p := range m.Parts {
		if seen[p.Table] || seen[p.Path] {
			return nil, written, corrupt("%s is listed twice", p.Table)
		}
		seen[p.Table], seen[p.Path] = true, true
		if got := sums[p.Path]; got.hash != p.SHA256 || got.size != p.Size {
			return nil, written, corrupt("checksum mismatch in %s (%s)", p.Path, p.Table)
		}
		if !archivable(p.Table, m.Collections) {
			return nil, written, corrupt("unexpected table %q", p.Table)
		}
	}
	for _, f := range m.Files {
		if got := sums[filesDir+f.Key]; got.hash != f.SHA256 || got.size != f.Size {
			return nil, written, corrupt("checksum mismatch in %s%s", filesDir, f.Key)
		}
	}
	return m, written, nil
}

// readManifest decodes the manifest entry, bounded by maxManifest.
func readManifest(r io.Reader, size int64) (*Manifest, error) {
	if size > maxManifest {
		return nil, corrupt("manifest too large")
	}
	body, err := io.ReadAll(io.LimitReader(r, maxManifest))
	if err != nil {
		return nil, corrupt("%v", err)
	}
	m := &Manifest{}
	if err := json.Unmarshal(body, m); err != nil {
		return nil, corrupt("manifest: %v", err)
	}
	return m, nil
}

// archivable reports whether table is one a backup holds.
func archivable(table string, collections []string) bool {
	if t, ok := strings.CutPrefix(table, "public."); ok {
		return slices.Contains(systemTables, t)
	}
	t, ok := strings.CutPrefix(table, "data.")
	return ok && slices.Contains(collections, t)
}
