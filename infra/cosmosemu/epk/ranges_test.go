package epk_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/epk"
)

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "00", 0},
		{"", "0000000000000000", 0},
		{"", "01", -1},
		{"01", "", 1},
		{"06AB", "06AB", 0},
		{"06AB", "06AC", -1},
		{"06AC", "06AB", 1},
		{"06ab", "06AB", 0},
		{"06ab", "06AC", -1},
		// zero-padded tails compare equal (hierarchical boundaries)
		{"06AB34CFE4E482236BCACBBF50E234AB", "06AB34CFE4E482236BCACBBF50E234AB00000000000000000000000000000000", 0},
		{"06AB34CFE4E482236BCACBBF50E234AB", "06AB34CFE4E482236BCACBBF50E234AB00000000000000000000000000000001", -1},
		{"06AB34CFE4E482236BCACBBF50E234AB00000000000000000000000000000001", "06AB34CFE4E482236BCACBBF50E234AB", 1},
		// the FF sentinel is above every masked EPK
		{"FF", "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", 1},
		{"3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FF", -1},
		{epk.Min, epk.Max, -1},
		// prefix range upper bound is above every extension of the prefix
		{"05" + strings.Repeat("0", 30) + "3F", "05" + strings.Repeat("0", 30) + "FF", -1},
	} {
		if got := epk.Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCompareOrdersComputedKeys(t *testing.T) {
	// Every computed key, of either version and any component count, lies
	// strictly inside [Min, Max).
	keys := [][]any{{"a"}, {1.0}, {nil}, {true}, {false}, {epk.Undefined{}}, {"a", "b", "c"}, {}}
	for _, ver := range []int{1, 2} {
		for _, k := range keys {
			e, err := epk.Compute(k, ver)
			if err != nil {
				t.Fatal(err)
			}
			if epk.Compare(epk.Min, e) > 0 || epk.Compare(e, epk.Max) >= 0 {
				t.Errorf("v%d %v: %s outside [Min, Max)", ver, k, e)
			}
			if !(epk.Range{Min: epk.Min, Max: epk.Max}).Contains(e) {
				t.Errorf("full range does not contain %s", e)
			}
		}
	}
}

func checkCover(t *testing.T, rs []epk.Range, n int) {
	t.Helper()
	if len(rs) != n {
		t.Fatalf("got %d ranges, want %d", len(rs), n)
	}
	if rs[0].Min != epk.Min || rs[n-1].Max != epk.Max {
		t.Errorf("ranges do not span [Min, Max): %v", rs)
	}
	for i, r := range rs {
		if epk.Compare(r.Min, r.Max) >= 0 {
			t.Errorf("range %d %v is empty", i, r)
		}
		if i > 0 && rs[i-1].Max != r.Min {
			t.Errorf("gap or overlap between %v and %v", rs[i-1], r)
		}
		if r.Max != epk.Max && len(r.Max) != 32 {
			t.Errorf("boundary %q is not 32 hex digits", r.Max)
		}
		if r.Max != strings.ToUpper(r.Max) {
			t.Errorf("boundary %q is not upper case", r.Max)
		}
	}
}

func TestSplit(t *testing.T) {
	checkCover(t, epk.Split(1), 1)
	if r := epk.Split(1)[0]; r != (epk.Range{Min: "", Max: "FF"}) {
		t.Errorf("Split(1) = %v", r)
	}
	checkCover(t, epk.Split(0), 1)
	checkCover(t, epk.Split(-3), 1)

	four := epk.Split(4)
	checkCover(t, four, 4)
	wantB := []string{
		"10000000000000000000000000000000",
		"20000000000000000000000000000000",
		"30000000000000000000000000000000",
	}
	for i, b := range wantB {
		if four[i].Max != b {
			t.Errorf("Split(4) boundary %d = %s, want %s", i, four[i].Max, b)
		}
	}
	for _, n := range []int{2, 3, 5, 7, 16, 100} {
		checkCover(t, epk.Split(n), n)
	}

	v1, err := epk.SplitVersion(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkCover(t, v1, 4)
	if v1[0].Max != "00000000000000000000000040000000" {
		t.Errorf("v1 first boundary = %s", v1[0].Max)
	}
	if _, err := epk.SplitVersion(2, 9); err == nil {
		t.Error("unknown version accepted")
	}
}

// TestSplitSpreadsKeys checks that each computed key falls in exactly one range
// and that no range is starved, for both versions.
func TestSplitSpreadsKeys(t *testing.T) {
	const n, keys = 4, 4000
	for _, ver := range []int{1, 2} {
		rs, _ := epk.SplitVersion(n, ver)
		counts := make([]int, n)
		for i := 0; i < keys; i++ {
			e, _ := epk.Compute([]any{fmt.Sprintf("key-%d", i)}, ver)
			hits := 0
			for j, r := range rs {
				if r.Contains(e) {
					counts[j]++
					hits++
				}
			}
			if hits != 1 {
				t.Fatalf("v%d: %s is in %d ranges", ver, e, hits)
			}
		}
		for j, c := range counts {
			if c < keys/n/2 {
				t.Errorf("v%d: range %d got only %d of %d keys: %v", ver, j, c, keys, counts)
			}
		}
	}
}

func TestRangeContainsAndOverlaps(t *testing.T) {
	r := epk.Range{Min: "10", Max: "20"}
	for _, tc := range []struct {
		epk  string
		want bool
	}{
		{"", false}, {"0F", false}, {"10", true}, {"1000", true}, {"1FFFFFFF", true}, {"20", false}, {"2000", false}, {"21", false},
	} {
		if got := r.Contains(tc.epk); got != tc.want {
			t.Errorf("%v.Contains(%q) = %v", r, tc.epk, got)
		}
	}
	open := epk.Range{Min: "10", Max: ""}
	if !open.Contains("3F") || open.Contains("0F") {
		t.Error("empty Max is not read as the top of the space")
	}
	for _, tc := range []struct {
		a, b epk.Range
		want bool
	}{
		{epk.Range{Min: "", Max: "10"}, epk.Range{Min: "10", Max: "20"}, false},
		{epk.Range{Min: "", Max: "11"}, epk.Range{Min: "10", Max: "20"}, true},
		{epk.Range{Min: "", Max: "FF"}, epk.Range{Min: "10", Max: "20"}, true},
		{epk.Range{Min: "12", Max: "13"}, epk.Range{Min: "10", Max: "20"}, true},
		{epk.Range{Min: "20", Max: ""}, epk.Range{Min: "10", Max: "20"}, false},
		{epk.Range{Min: "1F", Max: ""}, epk.Range{Min: "10", Max: "20"}, true},
	} {
		if got := tc.a.Overlaps(tc.b); got != tc.want {
			t.Errorf("%v.Overlaps(%v) = %v", tc.a, tc.b, got)
		}
		if got := tc.b.Overlaps(tc.a); got != tc.want {
			t.Errorf("%v.Overlaps(%v) = %v (reversed)", tc.b, tc.a, got)
		}
	}
}

func TestMidpoint(t *testing.T) {
	for _, tc := range []struct {
		min, max string
		want     string
	}{
		{"", "FF", "20000000000000000000000000000000"},
		{"", "", "20000000000000000000000000000000"},
		{"", "20000000000000000000000000000000", "10000000000000000000000000000000"},
		{"20000000000000000000000000000000", "FF", "30000000000000000000000000000000"},
		{"10", "20", "18000000000000000000000000000000"},
		{"1a", "1C", "1B000000000000000000000000000000"},
		// adjacent at 32 digits: one more byte is used
		{"10000000000000000000000000000000", "10000000000000000000000000000001", "1000000000000000000000000000000080"},
		// beyond the hash space the literal sentinel is halved towards
		{"80", "FF", "BF800000000000000000000000000000"},
	} {
		got, err := epk.Midpoint(tc.min, tc.max)
		if err != nil {
			t.Errorf("Midpoint(%q, %q): %v", tc.min, tc.max, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Midpoint(%q, %q) = %s, want %s", tc.min, tc.max, got, tc.want)
		}
	}
	v1, err := epk.MidpointVersion("", "FF", 1)
	if err != nil || v1 != "00000000000000000000000080000000" {
		t.Errorf("v1 midpoint = %s, %v", v1, err)
	}
	for _, bad := range [][2]string{{"20", "10"}, {"10", "10"}, {"10", "1000"}, {"zz", "FF"}, {"", "G0"}, {"FF", "FF"}} {
		if got, err := epk.Midpoint(bad[0], bad[1]); err == nil {
			t.Errorf("Midpoint(%q, %q) = %q, want error", bad[0], bad[1], got)
		}
	}
	if _, err := epk.MidpointVersion("", "FF", 7); err == nil {
		t.Error("unknown version accepted")
	}
}

func TestMidpointRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		a, _ := epk.Compute([]any{rng.Float64()}, 2)
		b, _ := epk.Compute([]any{rng.Float64(), "x"}, 2)
		if c := epk.Compare(a, b); c == 0 {
			continue
		} else if c > 0 {
			a, b = b, a
		}
		m, err := epk.Midpoint(a, b)
		if err != nil {
			t.Fatalf("Midpoint(%s, %s): %v", a, b, err)
		}
		if epk.Compare(a, m) >= 0 || epk.Compare(m, b) >= 0 {
			t.Fatalf("Midpoint(%s, %s) = %s not strictly between", a, b, m)
		}
	}
}

// TestRepeatedSplitting halves the first range many times, as a server
// splitting a hot partition would, and checks the cover stays gap-free.
func TestRepeatedSplitting(t *testing.T) {
	rs := epk.Split(1)
	for i := 0; i < 200; i++ {
		r := rs[0]
		m, err := epk.Midpoint(r.Min, r.Max)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		rs = append([]epk.Range{{Min: r.Min, Max: m}, {Min: m, Max: r.Max}}, rs[1:]...)
	}
	for i := 1; i < len(rs); i++ {
		if rs[i-1].Max != rs[i].Min || epk.Compare(rs[i].Min, rs[i].Max) >= 0 {
			t.Fatalf("bad cover at %d: %v %v", i, rs[i-1], rs[i])
		}
	}
}
