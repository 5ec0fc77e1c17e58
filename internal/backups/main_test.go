package backups_test

import (
	"testing"

	"fastcms/internal/pgtest"
)

// The tests restore over the whole database, so they run one at a time on
// this package's own database.
func TestMain(m *testing.M) { pgtest.Main(m) }
