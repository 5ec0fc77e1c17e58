package backups

import (
	"context"
	"sync/atomic"
	"time"
)

// Progress is how far a backup's job got: the tables and files of its
// snapshot written so far, of how many, and the archive's bytes so far
// (its size_bytes once completed).
type Progress struct {
	TablesDone  int
	TablesTotal int
	FilesDone   int
	FilesTotal  int
	Bytes       int64
}

// Interrupted is the error of a backup whose server stopped while it ran.
const Interrupted = "interrupted: the server stopped while it ran"

// heartbeatEvery is how often a running backup's job records its progress
// and that it is alive; lease is how long a running backup may go without
// a heartbeat before another instance takes its server for dead. The lease
// is many heartbeats long, so a busy database delaying a few does not fail
// a live backup.
var (
	heartbeatEvery = 5 * time.Second
	lease          = time.Minute
)

// afterTable, when set (tests), runs after each table is written with the
// job's context, so a test can hold a backup mid-run and watch it.
var afterTable func(context.Context)

// counter is a running backup's progress, advanced by the job as it
// writes and read by its heartbeat.
type counter struct {
	tablesDone, tablesTotal, filesDone, filesTotal, bytes atomic.Int64
}

// Write counts the archive's bytes: the counter sits beside the stream
// into storage.
func (c *counter) Write(p []byte) (int, error) {
	c.bytes.Add(int64(len(p)))
	return len(p), nil
}

func (c *counter) progress() Progress {
	return Progress{TablesDone: int(c.tablesDone.Load()), TablesTotal: int(c.tablesTotal.Load()),
		FilesDone: int(c.filesDone.Load()), FilesTotal: int(c.filesTotal.Load()), Bytes: c.bytes.Load()}
}

// manifestProgress is the progress of a finished archive described by m
// of size bytes: everything done.
func manifestProgress(m *Manifest, size int64) Progress {
	return Progress{TablesDone: len(m.Parts), TablesTotal: len(m.Parts), FilesDone: len(m.Files), FilesTotal: len(m.Files), Bytes: size}
}

// progressSet is the SET clause that records a Progress from $2…$6.
const progressSet = `tables_done = $2, tables_total = $3, files_done = $4, files_total = $5, bytes = $6`

func progressArgs(id string, p Progress) []any {
	return []any{id, p.TablesDone, p.TablesTotal, p.FilesDone, p.FilesTotal, p.Bytes}
}

// beat records backup id's progress and heartbeat every heartbeatEvery
// until stop is closed.
func (s *Service) beat(id string, c *counter, stop <-chan struct{}) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_, err := s.db.ExecContext(context.Background(), `UPDATE backups SET `+progressSet+`, heartbeat = now()
				WHERE id = $1 AND status = 'running'`, progressArgs(id, c.progress())...)
			if err != nil {
				s.opts.Log.Error("recording a backup's progress", "id", id, "err", err)
			}
		}
	}
}

// recoverInterrupted marks failed the running backups whose heartbeat is
// older than the lease, whichever instance wrote them (their server
// stopped mid-write, or lost the database for longer than the lease), and
// removes their partial archives. Every instance runs it at start and
// with each look at the schedule; the UPDATE claims each row once.
func (s *Service) recoverInterrupted(ctx context.Context) error {
	ids, err := column(ctx, s.db, `UPDATE backups SET status = 'failed', error = $1, completed = now()
		WHERE status = 'running' AND heartbeat < now() - make_interval(secs => $2) RETURNING id`, Interrupted, lease.Seconds())
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.opts.Log.Warn("a backup was interrupted by its server stopping; marked failed", "id", id)
		if err := s.store.Delete(ctx, key(id)); err != nil {
			return err
		}
	}
	return nil
}
