package jsondepth_test

import (
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/jsondepth"
)

func TestExceeds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		doc   string
		limit int
		want  bool
	}{
		{"scalar", `1`, 0, false},
		{"empty object", `{}`, 1, false},
		{"empty object over zero", `{}`, 0, true},
		{"at the limit", `{"a":[{"b":[]}]}`, 4, false},
		{"one level deeper", `{"a":[{"b":[[]]}]}`, 4, true},
		{"siblings do not add up", `[[],[],{"a":[]}]`, 3, false},
		{"brackets in strings", `["[[[[{{{{"]`, 1, false},
		{"escaped quotes in strings", `["\"[[[[\\", "x"]`, 1, false},
		{"escaped backslash before a quote", `["\\"]`, 1, false},
		{"unclosed string", `["[[[[`, 1, false},
		{"unclosed nesting", strings.Repeat("[", 1_000_000), jsondepth.Max, true},
		{"Max levels", strings.Repeat("[", jsondepth.Max) + strings.Repeat("]", jsondepth.Max), jsondepth.Max, false},
		{"Max+1 levels", strings.Repeat("[", jsondepth.Max+1) + strings.Repeat("]", jsondepth.Max+1), jsondepth.Max, true},
	}
	for _, tc := range tests {
		if got := jsondepth.Exceeds([]byte(tc.doc), tc.limit); got != tc.want {
			t.Errorf("%s: Exceeds(%.40q, %d) = %v", tc.name, tc.doc, tc.limit, got)
		}
	}
}

func TestErrorNamesTheLimit(t *testing.T) {
	t.Parallel()
	msg := (&jsondepth.Error{What: "the item"}).Error()
	if !strings.HasPrefix(msg, "the item") || !strings.Contains(msg, "128") {
		t.Fatalf("message %q", msg)
	}
}

// FuzzExceeds checks Exceeds against a direct count over the same bytes.
func FuzzExceeds(f *testing.F) {
	for _, s := range []string{`{}`, `[[["]"]]]`, `{"a\"[":[1,{"b":[]}]}`, strings.Repeat("[", 200)} {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		if limit < 0 || limit > 1000 {
			return
		}
		deepest, depth, inString := 0, 0, false
		for i := 0; i < len(b); i++ {
			switch c := b[i]; {
			case inString && c == '\\':
				i++
			case c == '"':
				inString = !inString
			case inString:
			case c == '{' || c == '[':
				depth++
				deepest = max(deepest, depth)
			case c == '}' || c == ']':
				depth--
			}
		}
		if got := jsondepth.Exceeds(b, limit); got != (deepest > limit) {
			t.Fatalf("Exceeds(%q, %d) = %v, deepest %d", b, limit, got, deepest)
		}
	})
}
