package backups

import (
	"context"
	"time"

	"github.com/robfig/cron/v3"
)

// Scheduled backups. Every instance looks every scheduleEvery whether the
// schedule (the backup_schedule setting, a cron expression in UTC) fires
// at the current minute; the first to claim that minute takes the backup
// and the others see the claim, so one backup is taken per slot however
// many instances run. The claim is the backup's row itself, named after
// the slot (scheduled-YYYYMMDD-HHMM.tar.gz) and inserted only if no row
// has that name, under an advisory lock. After a scheduled backup
// completes, the scheduled backups beyond backup_retention (the newest
// completed ones are kept first) are deleted; manual, pre-restore and
// uploaded backups are never deleted by the schedule.

// scheduleLock is the advisory lock key of a slot's claim.
const scheduleLock = 0x6661737463_7363 // "fastcsc"

// scheduleEvery is how often an instance looks at the schedule: under a
// minute, so no minute is missed.
var scheduleEvery = 15 * time.Second

// clock is the schedule's clock (tests move it).
var clock = time.Now

// schedule runs the scheduler until the service closes.
func (s *Service) schedule() {
	t := time.NewTicker(scheduleEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if err := s.recoverInterrupted(s.ctx); err != nil {
				s.opts.Log.Error("recovering interrupted backups", "err", err)
			}
			s.tick(s.ctx)
		}
	}
}

// tick takes the backup of the current minute when the schedule fires at
// it and no instance has claimed it yet.
func (s *Service) tick(ctx context.Context) {
	spec, keep := s.opts.Schedule()
	if spec == "" {
		return
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		s.opts.Log.Error("backup_schedule is not a cron expression", "value", spec, "err", err)
		return
	}
	slot := clock().UTC().Truncate(time.Minute)
	if !sched.Next(slot.Add(-time.Second)).Equal(slot) {
		return
	}
	b, err := s.claim(ctx, slot)
	if err != nil {
		s.opts.Log.Error("claiming a scheduled backup", "err", err)
	}
	if b == nil {
		return
	}
	if err := s.run(ctx, b.ID); err != nil {
		return
	}
	if err := s.prune(ctx, keep); err != nil {
		s.opts.Log.Error("pruning scheduled backups", "err", err)
	}
}

// claim records the running backup of slot, or returns nil when an
// instance already did.
func (s *Service) claim(ctx context.Context, slot time.Time) (*Backup, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, scheduleLock); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO backups (filename) SELECT $1
		WHERE NOT EXISTS (SELECT 1 FROM backups WHERE filename = $1) RETURNING `+cols,
		ScheduledPrefix+slot.Format("20060102-1504")+".tar.gz")
	if err != nil {
		return nil, err
	}
	var b *Backup
	if rows.Next() {
		b, err = scan(rows)
	}
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil || b == nil {
		return nil, err
	}
	return b, tx.Commit()
}

// prune deletes the scheduled backups beyond the newest keep, completed
// ones kept first.
func (s *Service) prune(ctx context.Context, keep int) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+cols+` FROM backups
		WHERE filename LIKE $1 AND status <> 'running'
		ORDER BY status = 'completed' DESC, filename DESC OFFSET $2`, ScheduledPrefix+"%", keep)
	if err != nil {
		return err
	}
	var old []*Backup
	for rows.Next() {
		b, err := scan(rows)
		if err != nil {
			rows.Close()
			return err
		}
		old = append(old, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, b := range old {
		if err := s.remove(ctx, b); err != nil {
			return err
		}
	}
	return nil
}
