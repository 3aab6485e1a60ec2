package changefeed

import (
	"math/rand/v2"
	"time"
)

// leasesToTake decides which leases instance me should try to take, the way
// the .NET processor's EqualPartitionsBalancingStrategy does: the live
// owners (those holding an unexpired lease, plus me) should each hold about
// leases/owners; an instance below that target takes free or expired leases
// up to it, and when there are none, steals one lease from the busiest owner
// if that owner is above the target. Stealing one lease per pass keeps the
// shuffle gentle; the passes repeat every LeaseAcquireInterval.
func leasesToTake(all []leaseDoc, me string, now time.Time, expiration time.Duration) []leaseDoc {
	if len(all) == 0 {
		return nil
	}
	counts := map[string]int{me: 0}
	var free []leaseDoc
	for _, l := range all {
		if l.expired(now, expiration) {
			free = append(free, l)
			continue
		}
		counts[string(l.Owner)]++
	}
	target := 1
	if len(all) > len(counts) {
		target = (len(all) + len(counts) - 1) / len(counts)
	}
	need := target - counts[me]
	if need <= 0 {
		return nil
	}
	if len(free) > 0 {
		// Instances starting together all see the same free leases; a random
		// order makes them collide (412) less often.
		rand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
		return free[:min(need, len(free))]
	}
	busiest, most := "", 0
	for owner, n := range counts {
		if n > most || (n == most && owner < busiest) {
			busiest, most = owner, n
		}
	}
	threshold := target
	if need > 1 {
		threshold = target - 1
	}
	if busiest == me || most <= threshold {
		return nil
	}
	for _, l := range all {
		if string(l.Owner) == busiest {
			return []leaseDoc{l}
		}
	}
	return nil
}
