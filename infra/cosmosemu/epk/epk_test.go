package epk_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/epk"
)

// baselineFiles are the SDK's hash baseline vectors (copied verbatim into
// testdata). Lists holds hierarchical keys, one hash per component.
var baselineFiles = []string{
	"PartitionKeyHashBaselineTest.Singletons.xml",
	"PartitionKeyHashBaselineTest.Numbers.xml",
	"PartitionKeyHashBaselineTest.Strings.xml",
	"PartitionKeyHashBaselineTest.Lists.xml",
}

type baseline struct {
	Results []struct {
		Description string `xml:"Input>Description"`
		Value       string `xml:"Input>PartitionKeyValue"`
		V1          string `xml:"Output>PartitionKeyHashV1"`
		V2          string `xml:"Output>PartitionKeyHashV2"`
	} `xml:"Result"`
}

type vector struct {
	file, name string
	values     []any
	v1, v2     string
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	var out []vector
	for _, f := range baselineFiles {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		var b baseline
		if err := xml.Unmarshal(data, &b); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(b.Results) == 0 {
			t.Fatalf("%s: no vectors", f)
		}
		for _, r := range b.Results {
			out = append(out, vector{
				file:   f,
				name:   r.Description,
				values: vectorValues(t, f, r.Value),
				v1:     r.V1,
				v2:     r.V2,
			})
		}
	}
	return out
}

// vectorValues decodes a baseline input: the word UNDEFINED, a JSON scalar,
// or (Lists) a JSON array of components. The Numbers file spells the
// non-finite doubles as strings because JSON has no literal for them.
func vectorValues(t *testing.T, file, raw string) []any {
	t.Helper()
	if raw == "UNDEFINED" {
		return []any{epk.Undefined{}}
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("%s: bad input %q: %v", file, raw, err)
	}
	if list, ok := v.([]any); ok {
		return list
	}
	if s, ok := v.(string); ok && strings.Contains(file, "Numbers") {
		switch s {
		case "NaN":
			return []any{math.NaN()} // Compute canonicalises NaN bits
		case "Infinity":
			return []any{math.Inf(1)}
		case "-Infinity":
			return []any{math.Inf(-1)}
		}
	}
	return []any{v}
}

// TestBaselineCopyMatchesSDK guards the copied vectors against drift from the
// SDK version in go.mod. It is skipped when the module cache is unavailable.
func TestBaselineCopyMatchesSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("azcosmos module directory unavailable: %v", err)
	}
	for _, f := range baselineFiles {
		want, err := os.ReadFile(filepath.Join(dir, "internal", "epk", "testdata", f))
		if err != nil {
			t.Skipf("SDK baseline not readable: %v", err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/%s differs from the SDK's copy", f)
		}
	}
}

func TestBaselineV1(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) != 29 {
		t.Fatalf("expected 29 baseline vectors, got %d", len(vs))
	}
	for _, v := range vs {
		got, err := epk.Compute(v.values, 1)
		if err != nil {
			t.Errorf("%s/%s: %v", v.file, v.name, err)
			continue
		}
		if got != v.v1 {
			t.Errorf("%s/%s: V1 = %s, want %s", v.file, v.name, got, v.v1)
		}
		// A definition without a version is version 1.
		if got0, _ := epk.Compute(v.values, 0); got0 != got {
			t.Errorf("%s/%s: version 0 = %s, want the version 1 result", v.file, v.name, got0)
		}
	}
}

func TestBaselineV2Raw(t *testing.T) {
	for _, v := range loadVectors(t) {
		got, err := epk.RawV2(v.values)
		if err != nil {
			t.Errorf("%s/%s: %v", v.file, v.name, err)
			continue
		}
		if got != v.v2 {
			t.Errorf("%s/%s: raw V2 = %s, want %s", v.file, v.name, got, v.v2)
		}
	}
}

// TestBaselineV2Routing checks the routed form: each 32-digit component of the
// baseline with the top two bits of its first byte cleared.
func TestBaselineV2Routing(t *testing.T) {
	for _, v := range loadVectors(t) {
		want := ""
		for i := 0; i < len(v.v2); i += 32 {
			c := v.v2[i : i+32]
			var first byte
			for _, d := range c[:2] {
				first = first<<4 | hexVal(byte(d))
			}
			want += strings.ToUpper(hex2(first&0x3F)) + c[2:]
		}
		got, err := epk.Compute(v.values, 2)
		if err != nil {
			t.Errorf("%s/%s: %v", v.file, v.name, err)
			continue
		}
		if got != want {
			t.Errorf("%s/%s: V2 = %s, want %s", v.file, v.name, got, want)
		}
		if got[0] > '3' {
			t.Errorf("%s/%s: V2 %s is not masked", v.file, v.name, got)
		}
	}
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func hex2(b byte) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[b>>4], digits[b&15]})
}

func TestComputeEmptyIsUndefined(t *testing.T) {
	for _, ver := range []int{1, 2} {
		a, err := epk.Compute(nil, ver)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := epk.Compute([]any{epk.Undefined{}}, ver)
		if a != b {
			t.Errorf("v%d: empty key %s != undefined %s", ver, a, b)
		}
	}
}

func TestComputeNumericKinds(t *testing.T) {
	want, _ := epk.Compute([]any{float64(42)}, 2)
	for _, v := range []any{42, int64(42), uint8(42), float32(42), json.Number("42"), json.Number("4.2e1")} {
		got, err := epk.Compute([]any{v}, 2)
		if err != nil || got != want {
			t.Errorf("%T(%v): got %s, %v; want %s", v, v, got, err, want)
		}
	}
	// Different values and types must not collide.
	s, _ := epk.Compute([]any{"42"}, 2)
	if s == want {
		t.Error(`"42" and 42 hash alike`)
	}
}

func TestComputeErrors(t *testing.T) {
	for _, tc := range []struct {
		values  []any
		version int
	}{
		{[]any{"a"}, 3},
		{[]any{"a"}, -1},
		{[]any{map[string]any{}}, 2},
		{[]any{[]any{"a"}}, 1},
		{[]any{json.Number("x")}, 2},
		{[]any{struct{}{}}, 2},
	} {
		if _, err := epk.Compute(tc.values, tc.version); err == nil {
			t.Errorf("Compute(%#v, %d): expected error", tc.values, tc.version)
		}
	}
}

func TestComputeHierarchicalIsPerComponent(t *testing.T) {
	a, _ := epk.Compute([]any{"tenant"}, 2)
	b, _ := epk.Compute([]any{"user"}, 2)
	ab, _ := epk.Compute([]any{"tenant", "user"}, 2)
	if ab != a+b {
		t.Errorf("MultiHash EPK %s is not the concatenation %s+%s", ab, a, b)
	}
	r, err := epk.PrefixRange([]any{"tenant"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Min != a || r.Max != a+"FF" {
		t.Errorf("PrefixRange = %v", r)
	}
	if !r.Contains(ab) {
		t.Errorf("prefix range %v does not contain full key %s", r, ab)
	}
	other, _ := epk.Compute([]any{"other", "user"}, 2)
	if r.Contains(other) {
		t.Errorf("prefix range %v contains a key of another prefix", r)
	}
	if _, err := epk.PrefixRange(nil, 2); err == nil {
		t.Error("empty prefix accepted")
	}
	if _, err := epk.PrefixRange([]any{"a"}, 1); err == nil {
		t.Error("version 1 prefix accepted")
	}
}

func TestValuesFromDocument(t *testing.T) {
	doc := map[string]any{
		"id":     "1",
		"tenant": "t1",
		"n":      float64(3),
		"flag":   false,
		"nil":    nil,
		"addr":   map[string]any{"city": "Oslo", "geo": map[string]any{"lat": 1.5}},
		"obj":    map[string]any{},
		"arr":    []any{"x"},
		"a b":    "spaced",
		"num":    json.Number("7"),
	}
	got := epk.ValuesFromDocument(doc, []string{
		"/tenant", "/n", "/flag", "/nil", "/addr/city", "/addr/geo/lat",
		"/missing", "/addr/missing", "/tenant/deeper", "/obj", "/arr", `/"a b"`, "/num", "", "/",
	})
	want := []any{
		"t1", float64(3), false, nil, "Oslo", 1.5,
		epk.Undefined{}, epk.Undefined{}, epk.Undefined{}, epk.Undefined{}, epk.Undefined{}, "spaced", float64(7), epk.Undefined{}, epk.Undefined{},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d values", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d = %#v, want %#v", i, got[i], want[i])
		}
	}
	// A document without the key lands where the SDK's empty key does.
	missing, _ := epk.Compute(epk.ValuesFromDocument(doc, []string{"/missing"}), 2)
	empty, _ := epk.Compute([]any{}, 2)
	if missing != empty {
		t.Error("missing partition key does not hash like the undefined key")
	}
}

func TestValidateComponents(t *testing.T) {
	if err := epk.ValidateComponents([]any{"a", 1.0}, 2); err != nil {
		t.Error(err)
	}
	if err := epk.ValidateComponents([]any{"a"}, 2); err != nil {
		t.Error(err)
	}
	if err := epk.ValidateComponents([]any{"a", "b"}, 1); err == nil {
		t.Error("too many components accepted")
	}
	if err := epk.ValidateComponents([]any{[]any{}}, 1); err == nil {
		t.Error("array component accepted")
	}
}
