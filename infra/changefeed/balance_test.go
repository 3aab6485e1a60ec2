package changefeed_test

import (
	"testing"

	"orderctx/infra/changefeed"
)

func TestBalancingTakesFreeLeasesThenStealsOneAtATime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		owners  []string
		expired []bool
		want    int      // how many leases "me" takes
		from    []string // the owners they may come from
	}{
		{"no leases", nil, nil, 0, nil},
		{"alone: everything", []string{"", "", "", ""}, make([]bool, 4), 4, []string{""}},
		{"another holds all: steal one", []string{"a", "a", "a", "a"}, make([]bool, 4), 1, []string{"a"}},
		{"even already", []string{"a", "a", "me", "me"}, make([]bool, 4), 0, nil},
		{"three owners: steal from the busiest", []string{"a", "a", "a", "b", "b", "b"}, make([]bool, 6), 1, []string{"a"}},
		{"nobody above target", []string{"a", "a", "b", "b", "me"}, make([]bool, 5), 0, nil},
		{"expired leases are free", []string{"a", "a", "a", "a"}, []bool{true, true, true, true}, 4, []string{"a"}},
		{"free leases first, no stealing in the same pass", []string{"a", "a", "a", "a", "a", "a", "", ""}, make([]bool, 8), 2, []string{""}},
		{"a dead owner does not count", []string{"a", "a", "b", "b"}, []bool{false, false, true, true}, 2, []string{"b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := changefeed.LeasesToTake(tc.owners, tc.expired, "me")
			if len(got) != tc.want {
				t.Fatalf("took %d leases %v, want %d", len(got), got, tc.want)
			}
			for _, i := range got {
				ok := false
				for _, o := range tc.from {
					ok = ok || tc.owners[i] == o
				}
				if !ok {
					t.Fatalf("took lease %d of %q, want one of %v", i, tc.owners[i], tc.from)
				}
			}
		})
	}
}
