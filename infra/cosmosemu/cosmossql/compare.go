package cosmossql

import (
	"sort"
	"unicode/utf8"
)

// equalValues reports deep equality of two values of the same kind. Callers
// handle differing kinds, which Cosmos DB treats as undefined rather than
// false.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalValues(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// compareStrings orders strings by UTF-16 code units, the ordinal comparison
// of the service. It differs from Go's byte order only for characters above
// U+FFFF against U+E000..U+FFFF.
func compareStrings(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ka, kb := utf16Key(ra), utf16Key(rb)
			if ka < kb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// utf16Key maps a rune to a value that sorts like its first UTF-16 code unit
// followed by its second: supplementary characters (surrogate pairs, first
// unit D800..DBFF) sort between U+D7FF and U+E000.
func utf16Key(r rune) int64 {
	if r >= 0x10000 {
		return 0xD800<<21 | int64(r)
	}
	return int64(r) << 21
}

// compareOrder totally orders any two values for ORDER BY, MIN and MAX:
// first by kind (undefined < null < boolean < number < string < array <
// object), then by value. Arrays and objects are compared structurally,
// which is deterministic but not the service's hash order.
func compareOrder(a, b any) int {
	ka, kb := kindOf(a), kindOf(b)
	if ka != kb {
		if ka < kb {
			return -1
		}
		return 1
	}
	switch ka {
	case kindBool:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case kindNumber:
		x, y := a.(float64), b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case kindString:
		return compareStrings(a.(string), b.(string))
	case kindArray:
		x, y := a.([]any), b.([]any)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := compareOrder(x[i], y[i]); c != 0 {
				return c
			}
		}
		return compareInts(len(x), len(y))
	case kindObject:
		x, y := a.(map[string]any), b.(map[string]any)
		kx, ky := sortedKeys(x), sortedKeys(y)
		for i := 0; i < len(kx) && i < len(ky); i++ {
			if c := compareStrings(kx[i], ky[i]); c != 0 {
				return c
			}
			if c := compareOrder(x[kx[i]], y[ky[i]]); c != 0 {
				return c
			}
		}
		return compareInts(len(kx), len(ky))
	}
	return 0
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return compareStrings(keys[i], keys[j]) < 0 })
	return keys
}

// compareScalar implements < <= > >=: it returns ok=false (undefined) unless
// both values are of the same primitive kind.
func compareScalar(a, b any) (int, bool) {
	ka, kb := kindOf(a), kindOf(b)
	if ka != kb {
		return 0, false
	}
	switch ka {
	case kindNull, kindBool, kindNumber, kindString:
		return compareOrder(a, b), true
	}
	return 0, false
}

// equalsTri implements =: true or false for values of the same kind, and
// undefined across kinds or when either side is undefined.
func equalsTri(a, b any) any {
	ka, kb := kindOf(a), kindOf(b)
	if ka != kb || ka == kindUndefined {
		return undefined
	}
	return equalValues(a, b)
}
