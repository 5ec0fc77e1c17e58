package backups

import "time"

// SetBeforeCommit injects a failure between loading and committing a
// restore; the returned func undoes it.
func SetBeforeCommit(fn func() error) func() {
	beforeCommit = fn
	return func() { beforeCommit = nil }
}

// SetSchedule makes the scheduler look every interval, on the clock now;
// the returned func undoes it. Call it before starting the servers.
func SetSchedule(interval time.Duration, now func() time.Time) func() {
	every, was := scheduleEvery, clock
	scheduleEvery, clock = interval, now
	return func() { scheduleEvery, clock = every, was }
}
