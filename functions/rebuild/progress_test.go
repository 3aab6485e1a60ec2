package rebuild_test

import (
	"testing"

	"orderctx/functions/rebuild"
)

func TestPercentIsAnEstimateUntilCaughtUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    rebuild.Progress
		want float64
	}{
		{"nothing known yet", rebuild.Progress{}, 0},
		{"a quarter", rebuild.Progress{Processed: 25, Behind: 75}, 25},
		{"lag not yet seen", rebuild.Progress{Processed: 40}, 100},
		{"caught up with an upper-bound lag", rebuild.Progress{Processed: 40, Behind: 10, CaughtUp: true}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Percent(); got != tc.want {
				t.Fatalf("Percent() = %v, want %v", got, tc.want)
			}
		})
	}
}
