package backups

// SetBeforeCommit injects a failure between loading and committing a
// restore; the returned func undoes it.
func SetBeforeCommit(fn func() error) func() {
	beforeCommit = fn
	return func() { beforeCommit = nil }
}
