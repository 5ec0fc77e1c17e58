// Package backups takes consistent snapshots of the database into archives
// in the storage backend and restores them while the server runs. Every
// method is admin-only and checks so on its first line.
package backups

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/files"
	"fastcms/internal/page"
	"fastcms/internal/storage"
)

// KeyPrefix starts the storage key of every archive. The files sweep skips
// keys with it, since no files row refers to an archive.
const KeyPrefix = storage.BackupPrefix

// RestoredChannel is notified (empty payload) by every restore as it
// commits; each instance closes its open websockets on it (graph), since
// what their subscriptions watched was replaced.
const RestoredChannel = "fastcms_restored"

// The statuses of a backup.
const (
	Running   = "running"
	Completed = "completed"
	Failed    = "failed"
)

// Backup is one archive's catalogue entry.
type Backup struct {
	ID        string
	Filename  string
	SizeBytes int64
	Status    string
	Error     string
	Created   time.Time
	Completed *time.Time
	Progress  Progress
}

// Options configure a Service.
type Options struct {
	// Version is the server version written into each manifest.
	Version string
	// Notify are the channels a restore notifies (empty payload) so every
	// instance reloads its collections, settings and cached users.
	Notify []string
	// Reload refreshes this instance's own caches right after a restore
	// commits, so its answer is already served from the restored data;
	// the other instances follow the NOTIFY.
	Reload []func(context.Context) error
	// Schedule reads the backup_schedule and backup_retention settings
	// (schedule.go); nil takes no scheduled backups.
	Schedule func() (spec string, keep int)
	Log      *slog.Logger
}

// Service creates, lists, restores and deletes backups.
type Service struct {
	db  *sql.DB
	bun *bun.DB // for the restore's collection DDL
	// stores are the instance's storage backends: a backup reads each
	// file from the one its row names. store is the current one, which
	// holds the archives and receives the files a restore brings back.
	stores files.Stores
	store  storage.Store
	opts   Options
	// ctx ends the background jobs on Close; wg waits for them.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// restoreMu lets one restore run at a time on this instance; the
	// advisory lock in Restore covers every instance.
	restoreMu sync.Mutex
}

// New returns a Service over db keeping archives in the current of stores.
func New(db *bun.DB, stores files.Stores, opts Options) *Service {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{db: db.DB, bun: db, stores: stores, store: stores.All[stores.Current], opts: opts, ctx: ctx, cancel: cancel}
	if err := s.recoverInterrupted(ctx); err != nil {
		opts.Log.Error("recovering interrupted backups", "err", err)
	}
	if opts.Schedule != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.schedule()
		}()
	}
	return s
}

// Close stops the background jobs (their backups end failed) and waits.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

func key(id string) string { return KeyPrefix + id }

// storeNamed is the backend called name, which a files row names; the
// error says this instance lacks it (the caller names the file).
func (s *Service) storeNamed(name string) (storage.Store, error) {
	if st := s.stores.All[name]; st != nil {
		return st, nil
	}
	return nil, fmt.Errorf("it is in the storage backend %s, which this instance is not configured for", name)
}

const cols = `id, filename, size_bytes, status, error, created, completed, tables_done, tables_total, files_done, files_total, bytes`

func scan(row interface{ Scan(...any) error }) (*Backup, error) {
	var b Backup
	p := &b.Progress
	if err := row.Scan(&b.ID, &b.Filename, &b.SizeBytes, &b.Status, &b.Error, &b.Created, &b.Completed,
		&p.TablesDone, &p.TablesTotal, &p.FilesDone, &p.FilesTotal, &p.Bytes); err != nil {
		return nil, err
	}
	return &b, nil
}

// The filename of a backup starts with what made it, so a list shows
// which are the admins' own and which a restore or the schedule took.
const (
	ManualPrefix     = "backup-"
	PreRestorePrefix = "pre-restore-"
	ScheduledPrefix  = "scheduled-"
	UploadedPrefix   = "uploaded-"
)

// Create records a running backup and writes its archive in the
// background; List shows it completed or failed when done.
func (s *Service) Create(ctx context.Context) (*Backup, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	b, err := s.record(ctx, ManualPrefix)
	if err != nil {
		return nil, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.run(s.ctx, b.ID)
	}()
	return b, nil
}

// record inserts a running backup named prefix and the current time.
func (s *Service) record(ctx context.Context, prefix string) (*Backup, error) {
	return scan(s.db.QueryRowContext(ctx, `INSERT INTO backups (filename)
		VALUES ($1 || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS') || '.tar.gz') RETURNING `+cols, prefix))
}

// backupNow records a backup named prefix and writes it before returning.
func (s *Service) backupNow(ctx context.Context, prefix string) (*Backup, error) {
	b, err := s.record(ctx, prefix)
	if err != nil {
		return nil, err
	}
	return b, s.run(ctx, b.ID)
}

// run writes the archive of backup id, recording its progress and
// heartbeat meanwhile, and then the outcome.
func (s *Service) run(ctx context.Context, id string) error {
	c := &counter{}
	stop, beating := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(beating)
		s.beat(id, c, stop)
	}()
	size, err := s.write(ctx, id, c)
	close(stop)
	<-beating
	args := progressArgs(id, c.progress())
	if err != nil {
		s.opts.Log.Error("backup failed", "id", id, "err", err)
		msg := err.Error()
		if s.ctx.Err() != nil {
			msg = Interrupted // Close: the server is stopping
		}
		_ = s.store.Delete(context.Background(), key(id))
		_, _ = s.db.ExecContext(context.Background(),
			`UPDATE backups SET status = 'failed', error = $7, completed = now(), `+progressSet+` WHERE id = $1`, append(args, msg)...)
		return err
	}
	_, err = s.db.ExecContext(context.Background(),
		`UPDATE backups SET status = 'completed', size_bytes = $7, completed = now(), `+progressSet+` WHERE id = $1`, append(args, size)...)
	if err != nil {
		s.opts.Log.Error("recording a backup failed", "id", id, "err", err)
	}
	return err
}

// List pages through the backups, oldest first.
func (s *Service) List(ctx context.Context, req page.Request) (page.Result[Backup], error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return page.Result[Backup]{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+cols+` FROM backups ORDER BY created, id LIMIT $1 OFFSET $2`, req.PerPage, req.Offset())
	if err != nil {
		return page.Result[Backup]{}, err
	}
	defer rows.Close()
	items := []Backup{}
	for rows.Next() {
		b, err := scan(rows)
		if err != nil {
			return page.Result[Backup]{}, err
		}
		items = append(items, *b)
	}
	if err := rows.Err(); err != nil {
		return page.Result[Backup]{}, err
	}
	total := -1
	if !req.SkipTotal {
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM backups`).Scan(&total); err != nil {
			return page.Result[Backup]{}, err
		}
	}
	return page.NewResult(items, total, req), nil
}

// Get reads one backup, to watch its progress.
func (s *Service) Get(ctx context.Context, id string) (*Backup, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	return s.get(ctx, id)
}

// get reads one backup; a missing or malformed id is a 404.
func (s *Service) get(ctx context.Context, id string) (*Backup, error) {
	b, err := scan(s.db.QueryRowContext(ctx, `SELECT `+cols+` FROM backups WHERE id::text = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apierr.NotFound("backup %q not found", id)
	}
	return b, err
}

// completed reads a backup whose archive is ready, else a 404 or 409.
func (s *Service) completed(ctx context.Context, id string) (*Backup, error) {
	b, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.Status != Completed {
		return nil, apierr.Conflict("backup %q is %s, not completed", id, b.Status)
	}
	return b, nil
}

// Delete removes a backup and its archive. A running backup cannot be
// deleted (409): its job still writes the archive.
func (s *Service) Delete(ctx context.Context, id string) error {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	b, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	if b.Status == Running {
		return apierr.Conflict("backup %q is still running", id)
	}
	return s.remove(ctx, b)
}

// remove deletes a finished backup's archive and then its row.
func (s *Service) remove(ctx context.Context, b *Backup) error {
	if err := s.store.Delete(ctx, key(b.ID)); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM backups WHERE id = $1`, b.ID)
	return err
}

// Open streams a completed backup's archive.
func (s *Service) Open(ctx context.Context, id string) (*Backup, io.ReadCloser, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, nil, err
	}
	b, err := s.completed(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.store.Open(ctx, key(b.ID), 0, -1)
	if err != nil {
		return nil, nil, err
	}
	return b, r, nil
}
