package files

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"fastcms/internal/storage"
)

// OrphanAge is how old a blob without a row must be before Sweep removes
// it: an upload stores its bytes before its row, and no upload outlives
// HTTP_STREAM_TIMEOUT (10 minutes by default), so an hour leaves every
// upload in flight alone.
const OrphanAge = time.Hour

// sweepBatch is how many keys one query checks.
const sweepBatch = 500

// Sweep removes blobs older than minAge that no files row names: the
// bytes of an upload whose server died before its row was written, of a
// deletion whose blob removal failed, and the cached thumbnails of
// deleted files; and, where the store has them, the unfinished writes
// started before minAge (S3 multipart uploads of a server that died
// mid-upload). It returns how many blobs and writes it removed.
// Every instance may run it; deleting twice is harmless. It sweeps every
// configured backend: one no longer current still holds older files.
func (s *Service) Sweep(ctx context.Context, minAge time.Duration) (int, error) {
	cutoff := time.Now().Add(-minAge)
	removed := 0
	for _, st := range s.stores.All {
		n, err := s.sweep(ctx, st, cutoff)
		removed += n
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// sweep is Sweep over one backend.
func (s *Service) sweep(ctx context.Context, st storage.Store, cutoff time.Time) (int, error) {
	removed := 0
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		bases := make([]string, len(batch))
		for i, k := range batch {
			bases[i] = baseID(k)
		}
		var known []string
		if err := s.db.NewRaw("SELECT filename FROM files WHERE filename IN (?)", bun.List(bases)).Scan(ctx, &known); err != nil {
			return err
		}
		keep := make(map[string]bool, len(known))
		for _, k := range known {
			keep[k] = true
		}
		for _, k := range batch {
			if keep[baseID(k)] {
				continue
			}
			if err := st.Delete(ctx, k); err != nil {
				return err
			}
			s.log.InfoContext(ctx, "removed an unreferenced file blob", "key", k)
			removed++
		}
		batch = batch[:0]
		return nil
	}
	err := st.List(ctx, func(o storage.Info) error {
		if o.Modified.After(cutoff) || strings.HasPrefix(o.Key, storage.BackupPrefix) {
			return nil
		}
		batch = append(batch, o.Key)
		if len(batch) < sweepBatch {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	if a, ok := st.(storage.StaleAborter); ok && err == nil {
		var n int
		n, err = a.AbortStale(ctx, cutoff)
		if n > 0 {
			s.log.InfoContext(ctx, "aborted unfinished uploads", "count", n)
		}
		removed += n
	}
	return removed, err
}

// SweepEvery runs Sweep(OrphanAge) now and then every interval until ctx
// ends, logging failures.
func (s *Service) SweepEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx, OrphanAge); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "file sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
