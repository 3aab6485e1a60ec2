package cosmossql

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// undefinedValue represents Cosmos DB's undefined: a missing property, an
// out-of-range index, or the result of an operation on incompatible types.
// It never appears in results; projections drop it.
type undefinedValue struct{}

// undefined is the single undefined value.
var undefined any = undefinedValue{}

func isUndefined(v any) bool {
	_, ok := v.(undefinedValue)
	return ok
}

// kind is the JSON type of a value; the constants are in the cross-type sort
// order of ORDER BY.
type kind int

const (
	kindUndefined kind = iota
	kindNull
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// kindOf classifies a decoded JSON value. Go types that encoding/json does
// not produce count as undefined so that they can never be mistaken for
// data.
func kindOf(v any) kind {
	switch v.(type) {
	case nil:
		return kindNull
	case bool:
		return kindBool
	case float64:
		return kindNumber
	case string:
		return kindString
	case []any:
		return kindArray
	case map[string]any:
		return kindObject
	}
	return kindUndefined
}

// normalizeParam converts a parameter value to the shapes encoding/json
// produces, so callers may pass ints, json.Number or typed slices. Values
// that have no JSON form become undefined.
func normalizeParam(v any) any {
	switch x := v.(type) {
	case nil, bool, string, undefinedValue:
		return v
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return undefined
		}
		return x
	case float32:
		return normalizeParam(float64(x))
	case int:
		return float64(x)
	case int8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint:
		return float64(x)
	case uint8:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return undefined
		}
		return normalizeParam(f)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeParam(e)
			if isUndefined(out[i]) {
				out[i] = nil
			}
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if n := normalizeParam(e); !isUndefined(n) {
				out[k] = n
			}
		}
		return out
	}
	// Anything else (structs, typed maps and slices) goes through a JSON
	// round trip, which is what the value would look like on the wire.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return undefined
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return undefined
	}
	return out
}

// canonicalKey encodes a value so that two values have the same key exactly
// when they are equal in the sense of equalValues. DISTINCT and GROUP BY use
// it as a map key.
func canonicalKey(v any) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteByte('n')
	case bool:
		if x {
			b.WriteByte('t')
		} else {
			b.WriteByte('f')
		}
	case float64:
		if x == 0 {
			x = 0 // fold -0 into 0: they are equal
		}
		b.WriteByte('#')
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		b.WriteByte(';')
	case string:
		b.WriteString(strconv.Quote(x))
	case []any:
		b.WriteByte('[')
		for _, e := range x {
			writeCanonical(b, e)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for _, k := range keys {
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			writeCanonical(b, x[k])
			b.WriteByte(',')
		}
		b.WriteByte('}')
	default:
		b.WriteByte('u')
	}
}
