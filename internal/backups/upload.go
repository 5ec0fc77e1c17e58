package backups

import (
	"context"
	"io"

	"fastcms/internal/auth"
)

// Upload stores an archive made elsewhere (a download from another
// server) as a completed backup named uploaded-…, to be restored like any
// other. The body's size is bounded by the caller (the REST route takes
// up to MAX_IMPORT_BYTES); decompressing it is streamed, never held in
// memory, and bounded in time by ctx. The archive is verified before it
// is listed, as a restore would (entry names, sizes, checksums, format
// version): a bad one is refused (422) and nothing is kept.
func (s *Service) Upload(ctx context.Context, body io.Reader) (*Backup, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	b, err := s.record(ctx, UploadedPrefix)
	if err != nil {
		return nil, err
	}
	size, err := s.store.Put(ctx, key(b.ID), body)
	var m *Manifest
	if err == nil {
		m, _, err = s.verify(ctx, b.ID, func(string) bool { return false })
	}
	if err != nil {
		cleanup := context.WithoutCancel(ctx)
		_ = s.store.Delete(cleanup, key(b.ID))
		_, _ = s.db.ExecContext(cleanup, `DELETE FROM backups WHERE id = $1`, b.ID)
		return nil, err
	}
	return scan(s.db.QueryRowContext(ctx, `UPDATE backups SET status = 'completed', size_bytes = $7, completed = now(), `+progressSet+`
		WHERE id = $1 RETURNING `+cols, append(progressArgs(b.ID, manifestProgress(m, size)), size)...))
}
