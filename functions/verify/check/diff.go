package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Bounds of a difference's text: the members listed, and the bytes of a
// value quoted.
const (
	maxDiffFields = 6
	maxValueText  = 80
)

// jsonDiff names the top-level members in which two JSON objects differ,
// with both values: "total: view 300, fold 280; refundDue: view absent,
// fold 280".
func jsonDiff(aName string, a []byte, bName string, b []byte) string {
	var am, bm map[string]json.RawMessage
	if json.Unmarshal(a, &am) != nil || json.Unmarshal(b, &bm) != nil {
		return fmt.Sprintf("%s %s, %s %s", aName, quote(a), bName, quote(b))
	}
	names := make([]string, 0, len(am)+len(bm))
	for n := range am {
		names = append(names, n)
	}
	for n := range bm {
		if _, ok := am[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		av, aok := am[n]
		bv, bok := bm[n]
		if aok && bok && bytes.Equal(av, bv) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s %s, %s %s", n, aName, valueOrAbsent(av, aok), bName, valueOrAbsent(bv, bok)))
	}
	if len(parts) == 0 {
		return "the documents differ in formatting only"
	}
	if len(parts) > maxDiffFields {
		parts = append(parts[:maxDiffFields], fmt.Sprintf("and %d more members", len(parts)-maxDiffFields))
	}
	return strings.Join(parts, "; ")
}

func valueOrAbsent(v json.RawMessage, ok bool) string {
	if !ok {
		return "absent"
	}
	return quote(v)
}

func quote(v []byte) string {
	if len(v) > maxValueText {
		return string(v[:maxValueText]) + "…"
	}
	return string(v)
}
