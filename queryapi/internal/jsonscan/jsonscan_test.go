package jsonscan_test

import (
	"errors"
	"strings"
	"testing"

	"orderctx/queryapi/internal/jsonscan"
)

func TestMembers(t *testing.T) {
	t.Parallel()
	doc := ` { "a" : 1 , "b":"x\"}y", "c":{"d":[1,{"e":"]"}]},"e\u0020":null, "f":[] }  `
	var got []string
	err := jsonscan.Members([]byte(doc), func(k, v []byte) error {
		got = append(got, string(k)+"="+string(v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`a=1`, `b="x\"}y"`, `c={"d":[1,{"e":"]"}]}`, `e\u0020=null`, `f=[]`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("members %q, want %q", got, want)
	}
}

func TestMembersRejectsMalformed(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"empty":             ``,
		"array":             `[1]`,
		"unterminated":      `{"a":1`,
		"unterminated text": `{"a":"x}`,
		"open nested":       `{"a":{"b":1}`,
		"missing colon":     `{"a" 1}`,
		"missing value":     `{"a":}`,
		"trailing comma":    `{"a":1,}`,
		"trailing data":     `{"a":1} x`,
		"bare key":          `{a:1}`,
	} {
		t.Run(name, func(t *testing.T) {
			err := jsonscan.Members([]byte(doc), func(k, v []byte) error { return nil })
			if !errors.Is(err, jsonscan.ErrSyntax) {
				t.Fatalf("Members(%q) = %v, want ErrSyntax", doc, err)
			}
		})
	}
}

func TestMembersStopsAtCallbackError(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop")
	n := 0
	err := jsonscan.Members([]byte(`{"a":1,"b":2}`), func(k, v []byte) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d calls, want stop after 1", err, n)
	}
}

func TestStringAndInt(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{`"abc"`: "abc", `"a\"b"`: `a"b`, `"\u00e9"`: "é", `""`: ""} {
		if got, err := jsonscan.String([]byte(raw)); err != nil || got != want {
			t.Errorf("String(%s) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{`abc`, `1`, `"`, `"\x"`} {
		if _, err := jsonscan.String([]byte(raw)); err == nil {
			t.Errorf("String(%s) succeeded", raw)
		}
	}
	if n, err := jsonscan.Int([]byte("-42")); err != nil || n != -42 {
		t.Errorf("Int(-42) = %d, %v", n, err)
	}
	for _, raw := range []string{`1.5`, `1e3`, `"1"`, `99999999999999999999`} {
		if _, err := jsonscan.Int([]byte(raw)); err == nil {
			t.Errorf("Int(%s) succeeded", raw)
		}
	}
}

func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":{"b":[1,2,"]"]}}`, `{"a":"\\"}`, `{`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		// Never panics, and every value it hands out is a slice of the input.
		_ = jsonscan.Members([]byte(doc), func(k, v []byte) error {
			if !strings.Contains(doc, string(v)) || !strings.Contains(doc, string(k)) {
				t.Fatalf("member %q=%q not in %q", k, v, doc)
			}
			return nil
		})
	})
}
