package reference_test

import (
	"testing"

	"fastcms/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
