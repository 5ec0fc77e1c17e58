package backups

import (
	"context"
	"time"
)

// SetBeforeCommit injects a failure between loading and committing a
// restore; the returned func undoes it.
func SetBeforeCommit(fn func() error) func() {
	beforeCommit = fn
	return func() { beforeCommit = nil }
}

// SetProgress makes running backups record their progress every
// interval and run afterEachTable after each table; the returned func
// undoes it. Call it before starting the servers.
func SetProgress(interval time.Duration, afterEachTable func(context.Context)) func() {
	every := heartbeatEvery
	heartbeatEvery, afterTable = interval, afterEachTable
	return func() { heartbeatEvery, afterTable = every, nil }
}

// SetSchedule makes the scheduler look every interval, on the clock now;
// the returned func undoes it. Call it before starting the servers.
func SetSchedule(interval time.Duration, now func() time.Time) func() {
	every, was := scheduleEvery, clock
	scheduleEvery, clock = interval, now
	return func() { scheduleEvery, clock = every, was }
}
