package epk_test

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"testing"

	"orderctx/infra/cosmosemu/epk"
)

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []any
	}{
		{`["a"]`, []any{"a"}},
		{`[""]`, []any{""}},
		{`[5]`, []any{5.0}},
		{`[-1.5e3]`, []any{-1500.0}},
		{`[1E+2]`, []any{100.0}},
		{`[0.25]`, []any{0.25}},
		{`[1.7976931348623157e+308]`, []any{math.MaxFloat64}},
		{`[5e-324]`, []any{5e-324}},
		{`[null]`, []any{nil}},
		{`[true]`, []any{true}},
		{`[false]`, []any{false}},
		{`[{}]`, []any{epk.Undefined{}}},
		{`[{ }]`, []any{epk.Undefined{}}},
		{`[]`, []any{}},
		{` [ ] `, []any{}},
		{`["tenant", 1, true, null]`, []any{"tenant", 1.0, true, nil}},
		{"[\t\"a\"\r\n,\"b\" ]", []any{"a", "b"}},
		// JSON escapes
		{`["a\"b\\c\/d"]`, []any{`a"b\c/d`}},
		{`["\b\f\n\r\t"]`, []any{"\b\f\n\r\t"}},
		{`["\u00e9\u00E9"]`, []any{"éé"}},
		{`["\ud83d\ude00"]`, []any{"😀"}},
		{`["\ud83d"]`, []any{"\uFFFD"}},
		{`["\ud83dx"]`, []any{"\uFFFDx"}},
		{`["\ude00\u0041"]`, []any{"\uFFFDA"}},
		{`["\ud83d\u0041"]`, []any{"\uFFFDA"}},
		// Go escapes produced by strconv.QuoteToASCII
		{`["\a\v"]`, []any{"\a\v"}},
		{`["\x00\x7f"]`, []any{"\x00\x7f"}},
		{`["\xff\xfe"]`, []any{"\xff\xfe"}},
		{`["\U0001f600"]`, []any{"😀"}},
		// raw UTF-8 passes through
		{`["é"]`, []any{"é"}},
	} {
		got, err := epk.ParseHeader(tc.in)
		if err != nil {
			t.Errorf("ParseHeader(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseHeader(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestParseHeaderNegativeZero(t *testing.T) {
	got, err := epk.ParseHeader(`[-0]`)
	if err != nil {
		t.Fatal(err)
	}
	f := got[0].(float64)
	if f != 0 || !math.Signbit(f) {
		t.Errorf("[-0] parsed as %v (signbit %v); -0 and 0 hash differently", f, math.Signbit(f))
	}
}

func TestParseHeaderErrors(t *testing.T) {
	for _, in := range []string{
		``, ` `, `"a"`, `5`, `null`, `{}`,
		`[`, `]`, `[,]`, `["a",]`, `[,"a"]`, `["a" "b"]`, `["a"]]`, `["a"] x`, `[]]`, `[][]`,
		`["a]`, `["a\"]`, `["\`, `["\q"]`, `["\'"]`, `["\u12"]`, `["\u12G4"]`, `["\x1"]`, `["\xZZ"]`,
		`["\U0011ffff"]`, `["\U0000d800"]`, `["\U1234"]`,
		"[\"a\x01\"]", "[\"\n\"]",
		`[01]`, `[-]`, `[+1]`, `[1.]`, `[.5]`, `[1e]`, `[1e+]`, `[0x10]`, `[1_000]`, `[Infinity]`, `[NaN]`, `[1e400]`, `[-1e400]`,
		`[tru]`, `[nul]`, `[True]`, `[undefined]`,
		`[{"a":1}]`, `[{]`, `[[]]`, `[["a"]]`,
	} {
		got, err := epk.ParseHeader(in)
		if err == nil {
			t.Errorf("ParseHeader(%q) = %#v, want error", in, got)
			continue
		}
		var he *epk.HeaderError
		if !errors.As(err, &he) || he.Header != in || he.Offset < 0 || he.Offset > len(in) {
			t.Errorf("ParseHeader(%q): error %v is not a well-formed *HeaderError", in, err)
		}
	}
}

// FuzzParseHeader checks that arbitrary input never panics, that accepted
// input only yields hashable components, and that a string component
// survives the SDK's quoting (strconv.QuoteToASCII) unchanged.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		`["a"]`, `[5]`, `[null]`, `[{}]`, `[]`, `[true,false]`, `["\U0001f600\x00\a"]`,
		`["\ud83d\ude00"]`, `[-0.5e-10]`, `["a",1,null]`, `[`, `["\u`, `[1e400]`,
	} {
		f.Add(s, "seed")
	}
	f.Fuzz(func(t *testing.T, h string, s string) {
		vals, err := epk.ParseHeader(h)
		if err == nil {
			for _, v := range vals {
				switch v.(type) {
				case string, float64, bool, nil, epk.Undefined:
				default:
					t.Fatalf("ParseHeader(%q) produced %T", h, v)
				}
			}
			for _, ver := range []int{1, 2} {
				if _, err := epk.Compute(vals, ver); err != nil {
					t.Fatalf("Compute after ParseHeader(%q): %v", h, err)
				}
			}
		}
		// Round trip of the SDK's string quoting, including invalid UTF-8.
		hdr := "[" + strconv.QuoteToASCII(s) + "]"
		got, err := epk.ParseHeader(hdr)
		if err != nil {
			t.Fatalf("ParseHeader(%q) of QuoteToASCII(%q): %v", hdr, s, err)
		}
		if len(got) != 1 || got[0] != s {
			t.Fatalf("QuoteToASCII(%q) parsed back as %#v", s, got)
		}
	})
}
