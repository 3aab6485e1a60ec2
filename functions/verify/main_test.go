package verify_test

import (
	"testing"

	"orderctx/infra/pgviews/pgtest"
)

// TestMain stops the PostgreSQL server the copy's tests start, if one started.
func TestMain(m *testing.M) { pgtest.Main(m) }
