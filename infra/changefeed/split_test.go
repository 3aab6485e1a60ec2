package changefeed_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"orderctx/infra/changefeed"
)

// tokens returns the lease tokens of a prefix, sorted.
func tokens(t *testing.T, e *env, prefix string) []string {
	t.Helper()
	var out []string
	for _, d := range leaseDocs(t, e.leases, prefix) {
		out = append(out, d["LeaseToken"].(string))
	}
	sort.Strings(out)
	return out
}

// contiguous says whether lease tokens "<min>-<max>" tile the whole key space.
func contiguous(toks []string) bool {
	bounds := map[string]string{}
	for _, tok := range toks {
		lo, hi, _ := strings.Cut(tok, "-")
		bounds[lo] = hi
	}
	at, n := "", 0
	for ; at != "FF" && n <= len(toks); n++ {
		next, ok := bounds[at]
		if !ok {
			return false
		}
		at = next
	}
	return at == "FF" && n == len(toks)
}

func TestSplitHandsTheLeaseToItsChildren(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2) // ranges "0" and "1"
	rec := newRecorder()
	slow := func(ctx context.Context, b changefeed.Batch) error {
		time.Sleep(time.Millisecond) // splits land while batches are in hand
		return rec.handle(ctx, b)
	}
	o := fastOptions(e, "split", slow)
	o.MaxItemsPerInvocation = 5
	a, b := start(t, o), start(t, o)
	f := feed(t, e, 24)
	waitFor(t, 10*time.Second, "some events", func() bool { return rec.count() > 200 })

	if _, err := e.srv.SplitRange("db", "events", "0"); err != nil { // children "2" and "3"
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "three leases tiling the key space", func() bool {
		toks := tokens(t, e, "split")
		return len(toks) == 3 && contiguous(toks)
	})
	seen := rec.count()
	waitFor(t, 10*time.Second, "more events", func() bool { return rec.count() > seen+200 })
	if _, err := e.srv.SplitRange("db", "events", "3"); err != nil { // a child splits again
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "four leases tiling the key space, shared by both instances", func() bool {
		toks := tokens(t, e, "split")
		return len(toks) == 4 && contiguous(toks) && balanced(owners(t, e.leases, "split"), 4, 2)
	})
	last := f.halt()
	waitFor(t, 10*time.Second, "every event", func() bool { return rec.count() == 24*last })
	rec.check(t, 24, last, false)
	want := tokens(t, e, "split")
	for _, r := range []*running{a, b} {
		waitFor(t, 5*time.Second, "the stats to list the four leases", func() bool {
			var got []string
			for _, s := range r.p.Stats().Leases {
				got = append(got, s.LeaseToken)
			}
			return slices.Equal(got, want)
		})
	}
}
