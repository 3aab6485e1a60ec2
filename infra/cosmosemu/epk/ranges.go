package epk

import (
	"fmt"
	"math/big"
	"strings"
)

// Min and Max bound the EPK space. Partition key ranges use "" as the lowest
// minInclusive and "FF" as the highest maxExclusive; every computed EPK sorts
// in between because version 2 masks each component's first byte to [00, 3F].
const (
	Min = ""
	Max = "FF"
)

// Compare orders two EPK hex strings the way Cosmos and the SDK do: the
// shorter string is treated as if padded with '0' digits, so "" equals "00"
// and a 32-digit boundary equals its 64-digit zero-padded form. This matters
// for hierarchical keys, whose EPKs are longer than range boundaries. Hex
// letters compare case-insensitively. It returns -1, 0 or +1.
func Compare(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := upperHex(a[i]), upperHex(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	tail, sign := a[n:], 1
	if len(b) > len(a) {
		tail, sign = b[n:], -1
	}
	for i := 0; i < len(tail); i++ {
		if tail[i] != '0' {
			return sign
		}
	}
	return 0
}

func upperHex(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// Range is a half-open EPK interval [Min, Max), the shape of a partition key
// range (minInclusive/maxExclusive) and of an SDK FeedRange.
type Range struct {
	Min string
	Max string
}

// upper returns the exclusive bound, reading "" as the "FF" maximum the way
// the SDK normalises a FeedRange whose MaxExclusive was left empty.
func (r Range) upper() string {
	if r.Max == "" {
		return Max
	}
	return r.Max
}

// Contains reports whether epk lies in [r.Min, r.Max). An empty r.Max means
// the top of the space.
func (r Range) Contains(epk string) bool {
	return Compare(r.Min, epk) <= 0 && Compare(epk, r.upper()) < 0
}

// Overlaps reports whether the two half-open ranges share at least one EPK,
// which is how a feed range or prefix range is matched to partition key
// ranges.
func (r Range) Overlaps(o Range) bool {
	return Compare(r.Min, o.upper()) < 0 && Compare(o.Min, r.upper()) < 0
}

// String renders the range in interval notation for logs and test output.
func (r Range) String() string {
	return fmt.Sprintf("[%q, %q)", r.Min, r.Max)
}

// boundaryDigits is the width of generated boundaries: one full 128-bit
// component, the width of the EPKs the ranges have to separate.
const boundaryDigits = 32

// spaceTop returns the first value above every EPK the version produces,
// scaled to a 32-digit (128-bit) boundary: masked version 2 components stay
// below 0x40 in their first byte, version 1 hashes are 32-bit values behind
// 24 zero digits.
func spaceTop(version int) (*big.Int, error) {
	switch version {
	case 0, 1:
		return new(big.Int).Lsh(big.NewInt(1), 32), nil
	case 2:
		return new(big.Int).Lsh(big.NewInt(1), 126), nil
	}
	return nil, fmt.Errorf("epk: unsupported partition key version %d", version)
}

// Split returns n contiguous ranges covering [Min, Max) for version 2 (the
// default for new containers), with boundaries evenly spaced over the masked
// hash space so that documents spread evenly. n below 1 is treated as 1.
func Split(n int) []Range {
	r, _ := SplitVersion(n, 2)
	return r
}

// SplitVersion is Split for a given partition key hash version. The spacing
// depends on the version because version 1 EPKs only vary in their last 8
// digits; boundaries spread over the version 2 space would put every version 1
// document in the first range.
func SplitVersion(n, version int) ([]Range, error) {
	top, err := spaceTop(version)
	if err != nil {
		return nil, err
	}
	if n < 1 {
		n = 1
	}
	out := make([]Range, n)
	prev := Min
	step := new(big.Int)
	for i := 1; i < n; i++ {
		step.Mul(top, big.NewInt(int64(i)))
		step.Quo(step, big.NewInt(int64(n)))
		b := formatHex(step, boundaryDigits)
		out[i-1] = Range{Min: prev, Max: b}
		prev = b
	}
	out[n-1] = Range{Min: prev, Max: Max}
	return out, nil
}

// Midpoint returns a version 2 boundary strictly between min and max, for
// splitting the range [min, max) into two non-empty halves at run time.
func Midpoint(min, max string) (string, error) {
	return MidpointVersion(min, max, 2)
}

// MidpointVersion is Midpoint for a given partition key hash version. When max
// is the "FF" sentinel (or empty) the version's real hash space ends well
// below it, so the split point is taken halfway to the end of that space
// instead; halving towards "FF" would leave every document on one side.
// Boundaries are 32 hex digits unless min and max are too close or longer,
// in which case digits are added until a value fits strictly between them.
func MidpointVersion(min, max string, version int) (string, error) {
	top, err := spaceTop(version)
	if err != nil {
		return "", err
	}
	if max == "" {
		max = Max
	}
	if !isHex(min) || !isHex(max) {
		return "", fmt.Errorf("epk: boundaries must be hex strings, got %q and %q", min, max)
	}
	if Compare(min, max) >= 0 {
		return "", fmt.Errorf("epk: empty range [%q, %q)", min, max)
	}
	width := max3(boundaryDigits, len(min), len(max))
	if width%2 == 1 {
		width++ // keep whole bytes
	}
	lo := parseHex(min, width)
	var hi *big.Int
	if strings.EqualFold(max, Max) {
		hi = new(big.Int).Lsh(top, uint(4*(width-boundaryDigits)))
		if lo.Cmp(hi) >= 0 {
			// min already lies beyond the hash space; fall back to the
			// literal sentinel value.
			hi = parseHex(max, width)
		}
	} else {
		hi = parseHex(max, width)
	}
	diff := new(big.Int)
	for {
		if diff.Sub(hi, lo).Cmp(big.NewInt(2)) >= 0 {
			mid := new(big.Int).Add(lo, hi)
			mid.Rsh(mid, 1)
			return formatHex(mid, width), nil
		}
		// Adjacent at this width: one more byte of precision always opens a
		// gap, since the padded values then differ by at least 256.
		width += 2
		lo.Lsh(lo, 8)
		hi.Lsh(hi, 8)
	}
}

func max3(a, b, c int) int {
	return max(a, max(b, c))
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// parseHex reads s right-padded with zeros to width digits, which is the
// numeric reading under which Compare's zero-padding rule is plain integer
// comparison.
func parseHex(s string, width int) *big.Int {
	v := new(big.Int)
	if s != "" {
		v.SetString(s, 16)
	}
	return v.Lsh(v, uint(4*(width-len(s))))
}

func formatHex(v *big.Int, width int) string {
	s := strings.ToUpper(v.Text(16))
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}
