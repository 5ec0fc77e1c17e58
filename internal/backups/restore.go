package backups

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
)

// restoreLock is the advisory lock key that makes restores one at a time
// across every instance.
const restoreLock = 0x6661737463_6273 // "fastcbs"

// batchRows is how many rows one INSERT loads.
const batchRows = 500

// maxManifest bounds the manifest a restore reads.
const maxManifest = 16 << 20

// corrupt is the answer for an archive that fails verification.
func corrupt(format string, args ...any) error {
	return apierr.New(http.StatusUnprocessableEntity, "corrupt backup", "backup archive is corrupt: "+format, args...)
}

// beforeCommit, when set (tests), runs after every table is loaded and
// before the commit; an error from it rolls the restore back.
var beforeCommit func() error

// Restore replaces the data with backup id's while the server runs. It
// verifies every part's checksum first (a corrupt archive is refused with
// 422 and nothing touched), then in one transaction truncates the backed
// up tables and loads the archive's rows, and commits only if all of it
// worked: any failure leaves the data as it was. Afterwards every
// instance reloads its collection registry.
func (s *Service) Restore(ctx context.Context, id string) (*Manifest, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	b, err := s.completed(ctx, id)
	if err != nil {
		return nil, err
	}
	s.restoreMu.Lock()
	defer s.restoreMu.Unlock()
	m, err := s.verify(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := s.load(ctx, tx, b.ID, m); err != nil {
		return nil, err
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return nil, err
		}
	}
	for _, ch := range s.opts.Notify {
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, ch); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, reload := range s.opts.Reload {
		if err := reload(ctx); err != nil {
			s.opts.Log.ErrorContext(ctx, "reloading after a restore failed; the NOTIFY will retry", "err", err)
		}
	}
	return m, nil
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
// hashes, sizes and entry names against the manifest.
func (s *Service) verify(ctx context.Context, id string) (*Manifest, error) {
	tr, closeFn, err := s.openArchive(ctx, id)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	sums := map[string]string{}
	var m *Manifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, corrupt("%v", err)
		}
		if h.Name == manifestName {
			body, err := io.ReadAll(io.LimitReader(tr, maxManifest+1))
			if err != nil {
				return nil, corrupt("%v", err)
			}
			if len(body) > maxManifest {
				return nil, corrupt("manifest too large")
			}
			m = &Manifest{}
			if err := json.Unmarshal(body, m); err != nil {
				return nil, corrupt("manifest: %v", err)
			}
			continue
		}
		hash := sha256.New()
		if _, err := io.Copy(hash, tr); err != nil {
			return nil, corrupt("%s: %v", h.Name, err)
		}
		sums[h.Name] = hex.EncodeToString(hash.Sum(nil))
	}
	if m == nil {
		return nil, corrupt("no manifest")
	}
	if m.FormatVersion != FormatVersion {
		return nil, apierr.New(http.StatusUnprocessableEntity, "unsupported backup",
			"backup format version %d is not supported (this server restores version %d)", m.FormatVersion, FormatVersion)
	}
	if len(sums) != len(m.Parts) {
		return nil, corrupt("the archive has %d parts, the manifest lists %d", len(sums), len(m.Parts))
	}
	if len(m.Parts) != len(systemTables)+len(m.Collections) {
		return nil, corrupt("the manifest lists %d parts for %d tables", len(m.Parts), len(systemTables)+len(m.Collections))
	}
	seen := map[string]bool{}
	for _, p := range m.Parts {
		if seen[p.Table] || seen[p.Path] {
			return nil, corrupt("%s is listed twice", p.Table)
		}
		seen[p.Table], seen[p.Path] = true, true
		if sums[p.Path] != p.SHA256 {
			return nil, corrupt("checksum mismatch in %s (%s)", p.Path, p.Table)
		}
		if !archivable(p.Table, m.Collections) {
			return nil, corrupt("unexpected table %q", p.Table)
		}
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

// load checks that the live tables match the archive's, truncates them and
// loads the archive's rows, all in tx.
func (s *Service) load(ctx context.Context, tx *sql.Tx, id string, m *Manifest) error {
	// The lock wait and TRUNCATE of large tables may outlast
	// STATEMENT_TIMEOUT; the caller's context bounds the restore instead.
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, restoreLock); err != nil {
		return err
	}
	if err := sameTables(ctx, tx, m); err != nil {
		return err
	}
	// Replica mode turns off foreign key and other triggers for this
	// transaction: the rows come from one consistent snapshot, so loading
	// them in any order is safe. It needs a superuser role.
	if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return fmt.Errorf("restore needs a superuser database role: %w", err)
	}
	names := make([]string, len(m.Parts))
	for i, p := range m.Parts {
		names[i] = quoteTable(p.Table)
	}
	if _, err := tx.ExecContext(ctx, `TRUNCATE `+strings.Join(names, ", ")+` CASCADE`); err != nil {
		return err
	}
	tr, closeFn, err := s.openArchive(ctx, id)
	if err != nil {
		return err
	}
	defer closeFn()
	byPath := map[string]Part{}
	for _, p := range m.Parts {
		byPath[p.Path] = p
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return corrupt("%v", err)
		}
		p, ok := byPath[h.Name]
		if !ok {
			continue
		}
		if err := loadPart(ctx, tx, tr, p); err != nil {
			return apierr.New(http.StatusUnprocessableEntity, "restore failed", "restoring %s failed, nothing was changed: %v", p.Table, err)
		}
	}
}

// sameTables refuses (409) a restore into tables whose columns differ from
// the archive's: restore replaces rows, not table definitions.
func sameTables(ctx context.Context, tx *sql.Tx, m *Manifest) error {
	live := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM collections`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		live[n] = true
	}
	rows.Close()
	for _, c := range m.Collections {
		if !live[c] {
			return apierr.Conflict("collection %q of the backup no longer exists; recreate it with its backed-up fields first", c)
		}
		delete(live, c)
	}
	for c := range live {
		return apierr.Conflict("collection %q was created after the backup; delete it first", c)
	}
	for _, p := range m.Parts {
		cols, err := columns(ctx, tx, p.Table)
		if err != nil {
			return err
		}
		if !slices.Equal(cols, p.Columns) {
			return apierr.Conflict("table %s has changed since the backup (its columns differ)", p.Table)
		}
	}
	return nil
}

// loadPart inserts one part's JSON lines in batches.
func loadPart(ctx context.Context, tx *sql.Tx, r io.Reader, p Part) error {
	names := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		names[i] = pq.QuoteIdentifier(c.Name)
	}
	list, table := strings.Join(names, ", "), quoteTable(p.Table)
	insert := `INSERT INTO ` + table + ` (` + list + `) SELECT ` + list + ` FROM jsonb_populate_recordset(NULL::` + table + `, $1::jsonb)`
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 256<<20)
	var batch strings.Builder
	n, loaded := 0, int64(0)
	flush := func() error {
		if n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, insert, "["+batch.String()+"]"); err != nil {
			return err
		}
		loaded += int64(n)
		batch.Reset()
		n = 0
		return nil
	}
	for sc.Scan() {
		if n > 0 {
			batch.WriteByte(',')
		}
		batch.Write(sc.Bytes())
		n++
		if n == batchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if loaded != p.Rows {
		return fmt.Errorf("loaded %d rows, the manifest says %d", loaded, p.Rows)
	}
	return nil
}

// quoteTable quotes a schema-qualified table name.
func quoteTable(t string) string {
	schema, name, _ := strings.Cut(t, ".")
	return pq.QuoteIdentifier(schema) + "." + pq.QuoteIdentifier(name)
}
