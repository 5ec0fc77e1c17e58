package backups

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// FormatVersion is the archive layout this server writes and restores.
// Version 2 added the stored files' bytes; a version 1 archive is refused
// (422), since restoring its files rows without their bytes would leave
// files that cannot be downloaded.
const FormatVersion = 2

// systemTables are the system tables a backup holds, in load order.
// Left out on purpose: sessions, refresh_tokens, user_tokens and
// oauth_used_states (short-lived credentials: a restored database makes
// everyone sign in again), events and webhook_deliveries/webhook_cursor
// (a log of what happened to the data, not the data; subscribers resume
// from the live log), and backups (the catalogue of the archives
// themselves).
var systemTables = []string{"users", "collections", "settings", "webhooks", "oauth_accounts", "files"}

// Part is one table's rows in the archive: JSON lines, one row each.
type Part struct {
	Table   string   `json:"table"` // schema-qualified: public.users, data.posts
	Path    string   `json:"path"`
	Rows    int64    `json:"rows"`
	Size    int64    `json:"size"`
	SHA256  string   `json:"sha256"`
	Columns []Column `json:"columns"`
}

// Column is a table column as the backup saw it; restore requires the
// live table to have the same ones.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// File is one stored file's bytes in the archive, under "files/<key>".
type File struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes an archive; it is its last entry.
type Manifest struct {
	FormatVersion int       `json:"format_version"`
	ServerVersion string    `json:"server_version"`
	Created       time.Time `json:"created"`
	Collections   []string  `json:"collections"`
	Parts         []Part    `json:"parts"`
	Files         []File    `json:"files"`
	// SecretsExcluded lists the secret settings left out of the archive
	// (their values never leave the database; a restore keeps the live ones).
	SecretsExcluded []string `json:"secrets_excluded"`
}

const (
	manifestName = "manifest.json"
	filesDir     = "files/"
)

// write streams backup id's archive into storage and returns its size.
// Every table is read in one REPEATABLE READ READ ONLY transaction, so the
// archive is one consistent snapshot whatever is written meanwhile.
func (s *Service) write(ctx context.Context, id string, c *counter) (int64, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	// One SELECT streams a whole table, which may outlast STATEMENT_TIMEOUT.
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return 0, err
	}
	m := Manifest{FormatVersion: FormatVersion, ServerVersion: s.opts.Version, Created: time.Now().UTC()}
	if m.Collections, err = collectionNames(ctx, tx); err != nil {
		return 0, err
	}
	tables := make([]string, 0, len(systemTables)+len(m.Collections))
	for _, t := range systemTables {
		tables = append(tables, "public."+t)
	}
	for _, c := range m.Collections {
		tables = append(tables, "data."+c)
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	var size int64
	var putErr error
	go func() {
		defer close(done)
		size, putErr = s.store.Put(ctx, key(id), pr)
		pr.CloseWithError(putErr)
	}()
	err = s.writeArchive(ctx, tx, io.MultiWriter(pw, c), tables, &m, c)
	pw.CloseWithError(err)
	<-done
	if err != nil {
		return 0, err
	}
	return size, putErr
}

// writeArchive writes every table's part, the stored files and then the
// manifest to w as a gzipped tar, counting them in c.
func (s *Service) writeArchive(ctx context.Context, tx *sql.Tx, w io.Writer, tables []string, m *Manifest, c *counter) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	secrets, err := secretKeys(ctx, tx)
	if err != nil {
		return err
	}
	m.SecretsExcluded = secrets
	blobs, err := s.fileBlobs(ctx, tx)
	if err != nil {
		return err
	}
	c.tablesTotal.Store(int64(len(tables)))
	c.filesTotal.Store(int64(len(blobs)))
	for i, t := range tables {
		p := Part{Table: t, Path: fmt.Sprintf("tables/%03d.jsonl", i)}
		if err := writePart(ctx, tx, tw, &p, secrets); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		m.Parts = append(m.Parts, p)
		c.tablesDone.Add(1)
		if afterTable != nil {
			afterTable(ctx)
		}
	}
	if err := s.writeFiles(ctx, tw, blobs, m, c); err != nil {
		return err
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.Created}); err != nil {
		return err
	}
	if _, err := tw.Write(body); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// writePart spools one table's rows to a temporary file (a tar entry needs
// its size first), hashing them on the way, and copies it into tw. Rows
// are streamed from the database, never held in memory together.
func writePart(ctx context.Context, tx *sql.Tx, tw *tar.Writer, p *Part, secrets []string) error {
	cols, err := columns(ctx, tx, p.Table)
	if err != nil {
		return err
	}
	p.Columns = cols
	f, err := os.CreateTemp("", "fastcms-backup-*.jsonl")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	out := io.MultiWriter(f, h)
	where, args := partFilter(p.Table, secrets)
	rows, err := tx.QueryContext(ctx, `SELECT to_jsonb(t)::text FROM `+quoteTable(p.Table)+` t`+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var line []byte
	for rows.Next() {
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if _, err := out.Write(append(line, '\n')); err != nil {
			return err
		}
		p.Rows++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if p.Size, err = f.Seek(0, io.SeekCurrent); err != nil {
		return err
	}
	p.SHA256 = hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: p.Path, Mode: 0o600, Size: p.Size, ModTime: time.Now()}); err != nil {
		return err
	}
	_, err = io.CopyN(tw, f, p.Size)
	return err
}

// querier is a *sql.Tx or *sql.DB.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// column reads the one text column query returns.
func column(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// collectionNames lists q's collections by name.
func collectionNames(ctx context.Context, q querier) ([]string, error) {
	return column(ctx, q, `SELECT name FROM collections ORDER BY name`)
}

// blob is a stored file: its key and the backend holding it.
type blob struct{ key, backend string }

// fileBlobs lists the blobs q's files rows name, each in the backend its
// row names (a row from before files.backend: the current one).
func (s *Service) fileBlobs(ctx context.Context, q querier) ([]blob, error) {
	rows, err := q.QueryContext(ctx, `SELECT filename, coalesce(backend, $1) FROM files ORDER BY filename`, s.stores.Current)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []blob{}
	for rows.Next() {
		var b blob
		if err := rows.Scan(&b.key, &b.backend); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// columns lists a table's stored (not generated) columns in order. table
// is schema-qualified and comes from the collections table or the fixed
// list, never from a client; it is quoted for the lookup.
func columns(ctx context.Context, q querier, table string) ([]Column, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
		ORDER BY a.attnum`, quoteTable(table))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := []Column{}
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// writeFiles copies the bytes of every blob the snapshot's files rows name
// into tw, each from the backend its row names, hashing them for the
// manifest. The blobs are immutable (a key is an upload's id), so the
// bytes read now are the snapshot's; a blob deleted since the snapshot
// began fails the backup rather than leaving a row without its bytes.
func (s *Service) writeFiles(ctx context.Context, tw *tar.Writer, blobs []blob, m *Manifest, c *counter) error {
	m.Files = []File{}
	for _, b := range blobs {
		f, err := s.writeFile(ctx, tw, b)
		if err != nil {
			return fmt.Errorf("file %s: %w", b.key, err)
		}
		m.Files = append(m.Files, f)
		c.filesDone.Add(1)
	}
	return nil
}

func (s *Service) writeFile(ctx context.Context, tw *tar.Writer, b blob) (File, error) {
	st, err := s.storeNamed(b.backend)
	if err != nil {
		return File{}, err
	}
	info, err := st.Stat(ctx, b.key)
	if err != nil {
		return File{}, err
	}
	rc, err := st.Open(ctx, b.key, 0, -1)
	if err != nil {
		return File{}, err
	}
	defer rc.Close()
	if err := tw.WriteHeader(&tar.Header{Name: filesDir + b.key, Mode: 0o600, Size: info.Size, ModTime: info.Modified}); err != nil {
		return File{}, err
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(tw, h), rc, info.Size); err != nil {
		return File{}, err
	}
	return File{Key: b.key, Size: info.Size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
