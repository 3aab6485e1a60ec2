package changefeed

import (
	"strconv"
	"time"
)

// LeasesToTake runs the balancing decision of instance me over leases given
// by their owners ("" for none) and whether each has expired; it returns the
// indexes of the leases chosen.
func LeasesToTake(owners []string, expired []bool, me string) []int {
	now, exp := time.Now(), time.Minute
	all := make([]leaseDoc, len(owners))
	for i, o := range owners {
		all[i] = leaseDoc{ID: strconv.Itoa(i), Owner: nullString(o), Timestamp: now}
		if expired[i] {
			all[i].Timestamp = now.Add(-2 * exp)
		}
	}
	var out []int
	for _, l := range leasesToTake(all, me, now, exp) {
		i, _ := strconv.Atoi(l.ID)
		out = append(out, i)
	}
	return out
}
