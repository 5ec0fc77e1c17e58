package backups

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/lib/pq"
	"github.com/uptrace/bun"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/storage"
)

// restoreLock is the advisory lock key that makes restores one at a time
// across every instance.
const restoreLock = 0x6661737463_6273 // "fastcbs"

// batchRows is how many rows one INSERT loads.
const batchRows = 500

// beforeCommit, when set (tests), runs after every table is loaded and
// before the commit; an error from it rolls the restore back.
var beforeCommit func() error

// Restore replaces the data, the collection definitions and the stored
// files with backup id's while the server runs:
//
//  1. The whole archive is verified (entry names, sizes, checksums, format
//     version); a bad one is refused with 422 and nothing touched. The
//     files not already in the current backend under a live row are
//     written to it on the way: new keys there, which nothing reads until
//     the rows commit.
//  2. A pre-restore backup of the live data is taken (listed as
//     "pre-restore-…"), so a restore can itself be undone.
//  3. One transaction drops the collection tables, reloads every backed-up
//     table, recreates the collection tables from the backup's definitions
//     and loads their rows; every files row now names the current backend.
//     Any failure rolls all of it back and removes the files step 1
//     wrote: the data is as it was.
//  4. After the commit the blobs only the old rows named are removed (from
//     the backend each of those rows named), every
//     instance reloads (NOTIFY) and this one before it answers, and every
//     instance closes its open websockets (RestoredChannel).
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
	live, err := s.currentFiles(ctx)
	if err != nil {
		return nil, err
	}
	m, written, err := s.verify(ctx, b.ID, func(k string) bool { return !live[k] })
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			s.deleteBlobs(written)
		}
	}()
	if _, err := s.backupNow(ctx, PreRestorePrefix); err != nil {
		return nil, fmt.Errorf("the pre-restore backup failed, nothing was restored: %w", err)
	}
	old, err := s.replace(ctx, b.ID, m)
	if err != nil {
		return nil, err
	}
	committed = true
	s.afterCommit(ctx, b.ID, m, old)
	return m, nil
}

// replace loads the archive in one transaction and commits it, returning
// the blobs the replaced rows named.
func (s *Service) replace(ctx context.Context, id string, m *Manifest) ([]blob, error) {
	tx, err := s.bun.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	old, err := s.load(ctx, tx, id, m)
	if err != nil {
		return nil, err
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return nil, err
		}
	}
	// RestoredChannel goes first: PostgreSQL delivers a transaction's
	// notifications in order, so every instance closes its websockets with
	// the restore's code before the auth reload could close some with 4403.
	for _, ch := range append([]string{RestoredChannel}, s.opts.Notify...) {
		if _, err := tx.Tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, ch); err != nil {
			return nil, err
		}
	}
	return old, tx.Commit()
}

// afterCommit removes the blobs only the replaced rows named, writes back
// any archived file whose blob vanished meanwhile (a concurrent delete of
// a file the backup brings back), and reloads this instance.
func (s *Service) afterCommit(ctx context.Context, id string, m *Manifest, old []blob) {
	keep := map[blob]bool{}
	for _, f := range m.Files {
		keep[blob{f.Key, s.stores.Current}] = true
	}
	s.deleteBlobs(slices.DeleteFunc(old, func(b blob) bool { return keep[b] }))
	missing := map[string]bool{}
	for _, f := range m.Files {
		if _, err := s.store.Stat(ctx, f.Key); errors.Is(err, storage.ErrNotFound) {
			missing[f.Key] = true
		}
	}
	if len(missing) > 0 {
		if _, _, err := s.verify(ctx, id, func(k string) bool { return missing[k] }); err != nil {
			s.opts.Log.ErrorContext(ctx, "writing back files missing after a restore failed", "err", err)
		}
	}
	for _, reload := range s.opts.Reload {
		if err := reload(ctx); err != nil {
			s.opts.Log.ErrorContext(ctx, "reloading after a restore failed; the NOTIFY will retry", "err", err)
		}
	}
}

// deleteBlobs removes blobs, logging failures: the files sweep removes
// what is left, since no row names them.
func (s *Service) deleteBlobs(blobs []blob) {
	for _, b := range blobs {
		st, err := s.storeNamed(b.backend)
		if err == nil {
			err = st.Delete(context.Background(), b.key)
		}
		if err != nil {
			s.opts.Log.Error("removing a file blob after a restore failed; the sweep will", "key", b.key, "backend", b.backend, "err", err)
		}
	}
}

// currentFiles is the set of file keys live files rows name in the
// current backend: a restore need not write those again.
func (s *Service) currentFiles(ctx context.Context) (map[string]bool, error) {
	blobs, err := s.fileBlobs(ctx, s.db)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(blobs))
	for _, b := range blobs {
		if b.backend == s.stores.Current {
			set[b.key] = true
		}
	}
	return set, nil
}

// load replaces every backed-up table's rows and the collection tables
// with the archive's, all in tx, and returns the blobs of the rows it
// replaced.
func (s *Service) load(ctx context.Context, tx bun.Tx, id string, m *Manifest) ([]blob, error) {
	q := tx.Tx
	// The lock wait, DDL and TRUNCATE of large tables may outlast
	// STATEMENT_TIMEOUT; the caller's context bounds the restore instead.
	if _, err := q.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return nil, err
	}
	if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, restoreLock); err != nil {
		return nil, err
	}
	old, err := s.fileBlobs(ctx, q)
	if err != nil {
		return nil, err
	}
	// Replica mode turns off foreign key and other triggers for this
	// transaction: the rows come from one consistent snapshot, so loading
	// them in any order is safe. It needs a superuser role.
	if _, err := q.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return nil, fmt.Errorf("restore needs a superuser database role: %w", err)
	}
	if err := collections.DropTables(ctx, tx); err != nil {
		return nil, err
	}
	var system []string
	for _, t := range withoutSettings(systemTables) {
		system = append(system, quoteTable("public."+t))
	}
	if _, err := q.ExecContext(ctx, `TRUNCATE `+strings.Join(system, ", ")+` CASCADE`); err != nil {
		return nil, err
	}
	if err := keepSecrets(ctx, q); err != nil {
		return nil, err
	}
	tr, closeFn, err := s.openArchive(ctx, id)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	byPath := map[string]Part{}
	for _, p := range m.Parts {
		byPath[p.Path] = p
	}
	created := false
	create := func() error {
		if created {
			return nil
		}
		created = true
		if err := collections.CreateTables(ctx, tx); err != nil {
			return corrupt("the backup's collection definitions: %v", err)
		}
		return sameCollections(ctx, q, m)
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if err := create(); err != nil {
				return nil, err
			}
			// The restored files' bytes are in the current backend (verify
			// wrote those not already there), whatever their rows said.
			_, err = q.ExecContext(ctx, `UPDATE files SET backend = $1`, s.stores.Current)
			return old, err
		}
		if err != nil {
			return nil, corrupt("%v", err)
		}
		p, ok := byPath[h.Name]
		if !ok {
			continue
		}
		if strings.HasPrefix(p.Table, "data.") {
			if err := create(); err != nil {
				return nil, err
			}
			if err := sameColumns(ctx, q, p); err != nil {
				return nil, err
			}
		}
		if err := loadPart(ctx, q, tr, p); err != nil {
			return nil, apierr.New(http.StatusUnprocessableEntity, "restore failed", "restoring %s failed, nothing was changed: %v", p.Table, err)
		}
	}
}

// sameCollections checks that the restored collections rows are the ones
// the manifest lists.
func sameCollections(ctx context.Context, q querier, m *Manifest) error {
	names, err := collectionNames(ctx, q)
	if err != nil {
		return err
	}
	want := slices.Sorted(slices.Values(m.Collections))
	if !slices.Equal(names, want) {
		return corrupt("the collections rows (%s) are not the manifest's (%s)", strings.Join(names, ", "), strings.Join(want, ", "))
	}
	return nil
}

// sameColumns checks that a recreated collection table has the columns
// its archived rows were read from. Their order may differ (a field added
// later comes last in the old table), so they are compared as sets.
func sameColumns(ctx context.Context, q querier, p Part) error {
	cols, err := columns(ctx, q, p.Table)
	if err != nil {
		return err
	}
	byName := func(a, b Column) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(cols, byName)
	want := slices.SortedFunc(slices.Values(p.Columns), byName)
	if !slices.Equal(cols, want) {
		return corrupt("table %s as its definition creates it does not have the columns of its rows", p.Table)
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
	insert := `INSERT INTO ` + table + ` (` + list + `) SELECT ` + list + ` FROM jsonb_populate_recordset(NULL::` + table + `, $1::jsonb)` +
		conflictClause(p.Table)
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
