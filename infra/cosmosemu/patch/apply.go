package patch

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"orderctx/infra/cosmosemu/jsondepth"
)

// Apply applies ops in order to a copy of doc and returns the copy; doc is
// never modified, so a failed patch leaves the stored document untouched and
// the operations are atomic as in the service. Errors are *Error.
//
// Per operation:
//   - add: sets an object property (creating or replacing it); on an array,
//     inserts before the index, or appends for "-" or an index equal to the
//     length.
//   - set: like add, except that an existing array index is overwritten
//     instead of shifted.
//   - replace: like set, but the property or element must already exist.
//   - remove: deletes an existing property or element (later elements shift).
//   - incr: adds a number to an existing number, or creates the property
//     with that number.
//   - move: removes the value at From and adds it at Path.
//
// Every parent of the target must exist; nothing is created recursively.
// Numbers are float64, the representation decoded documents use; an incr of
// whole numbers stays whole because the sum of two integral doubles is
// integral while it fits in 53 bits.
func Apply(doc map[string]any, ops []Operation) (map[string]any, error) {
	if err := Validate(ops); err != nil {
		return nil, err
	}
	root := copyValue(doc)
	if root == nil {
		root = map[string]any{}
	}
	var cur any = root
	for i, op := range ops {
		next, err := applyOne(cur, i, op)
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur.(map[string]any), nil
}

func applyOne(root any, i int, op Operation) (any, error) {
	segs, _ := ParsePath(op.Path) // validated
	switch op.Op {
	case OpIncr:
		delta, _ := number(op.Value)
		return edit(root, segs, i, op.Path, true, func(c any, key string) (any, error) {
			return incr(c, key, delta, i, op.Path)
		})
	case OpRemove:
		return edit(root, segs, i, op.Path, false, func(c any, key string) (any, error) {
			nc, _, err := remove(c, key, i, op.Path)
			return nc, err
		})
	case OpMove:
		from, _ := ParsePath(op.From)
		var moved any
		r, err := edit(root, from, i, op.From, false, func(c any, key string) (any, error) {
			nc, v, err := remove(c, key, i, op.From)
			moved = v
			return nc, err
		})
		if err != nil {
			return nil, err
		}
		return edit(r, segs, i, op.Path, true, func(c any, key string) (any, error) {
			return put(c, key, moved, OpAdd, i, op.Path)
		})
	default: // add, set, replace
		v, err := normalize(op.Value)
		if err != nil {
			return nil, opError(i, "value is not valid JSON: %v", err)
		}
		creates := op.Op != OpReplace
		return edit(root, segs, i, op.Path, creates, func(c any, key string) (any, error) {
			return put(c, key, v, op.Op, i, op.Path)
		})
	}
}

// edit walks to the parent of the last segment and lets leaf change it. It
// returns the (possibly new) node because inserting into or removing from a
// slice yields a new slice header that the grandparent must store.
//
// creates selects the error wording for a missing parent: operations that
// would create the target get the service's "can't create path recursively"
// message, the others the "absent" one.
func edit(node any, segs []string, i int, path string, creates bool, leaf func(c any, key string) (any, error)) (any, error) {
	if len(segs) == 1 {
		switch node.(type) {
		case map[string]any, []any:
			return leaf(node, segs[0])
		}
		return nil, missingParent(i, path, creates)
	}
	switch c := node.(type) {
	case map[string]any:
		child, ok := c[segs[0]]
		if !ok {
			return nil, missingParent(i, path, creates)
		}
		nc, err := edit(child, segs[1:], i, path, creates, leaf)
		if err != nil {
			return nil, err
		}
		c[segs[0]] = nc
		return c, nil
	case []any:
		idx, ok := arrayIndex(segs[0], len(c))
		if !ok || idx >= len(c) {
			return nil, missingParent(i, path, creates)
		}
		nc, err := edit(c[idx], segs[1:], i, path, creates, leaf)
		if err != nil {
			return nil, err
		}
		c[idx] = nc
		return c, nil
	}
	return nil, missingParent(i, path, creates)
}

func missingParent(i int, path string, creates bool) *Error {
	if creates {
		return opError(i, "Given Operation can only create a child object of an existing node(array or object) and can't create path recursively, no path found beyond: '%s'.", path)
	}
	return opError(i, "Node(%s) to be operated on is absent. Note: it might also have been removed earlier in the transaction.", path)
}

func outOfBounds(i int, key string) *Error {
	return opError(i, "Index(%s) to operate on is out of array bounds.", key)
}

// put performs add, set and replace on the parent container c.
func put(c any, key string, v any, kind string, i int, path string) (any, error) {
	switch m := c.(type) {
	case map[string]any:
		if _, ok := m[key]; !ok && kind == OpReplace {
			return nil, opError(i, "Node(%s) to be replaced is absent.", path)
		}
		m[key] = v
		return m, nil
	case []any:
		idx, ok := arrayIndex(key, len(m))
		if !ok {
			return nil, opError(i, "Index(%s) is not a valid array index.", key)
		}
		switch {
		case idx > len(m):
			return nil, outOfBounds(i, key)
		case kind == OpAdd || idx == len(m):
			if kind == OpReplace {
				return nil, outOfBounds(i, key)
			}
			// Insert (or append at the end), shifting later elements.
			m = append(m, nil)
			copy(m[idx+1:], m[idx:])
			m[idx] = v
			return m, nil
		default: // set or replace of an existing element
			m[idx] = v
			return m, nil
		}
	}
	return nil, missingParent(i, path, kind != OpReplace)
}

// remove deletes the child key of c and returns the new container and the
// removed value.
func remove(c any, key string, i int, path string) (any, any, error) {
	switch m := c.(type) {
	case map[string]any:
		v, ok := m[key]
		if !ok {
			return nil, nil, opError(i, "Node(%s) to be removed is absent. Note: it might also have been removed earlier in the transaction.", path)
		}
		delete(m, key)
		return m, v, nil
	case []any:
		idx, ok := arrayIndex(key, len(m))
		if !ok {
			return nil, nil, opError(i, "Index(%s) is not a valid array index.", key)
		}
		if idx >= len(m) {
			return nil, nil, outOfBounds(i, key)
		}
		v := m[idx]
		copy(m[idx:], m[idx+1:])
		m[len(m)-1] = nil
		return m[:len(m)-1], v, nil
	}
	return nil, nil, missingParent(i, path, false)
}

func incr(c any, key string, delta float64, i int, path string) (any, error) {
	add := func(cur any, exists bool) (any, error) {
		if !exists {
			return delta, nil
		}
		x, ok := number(cur)
		if !ok {
			return nil, opError(i, "Node(%s) is not a number.", path)
		}
		sum := x + delta
		if math.IsInf(sum, 0) || math.IsNaN(sum) {
			return nil, opError(i, "Node(%s) would overflow the range of a number.", path)
		}
		return sum, nil
	}
	switch m := c.(type) {
	case map[string]any:
		cur, ok := m[key]
		v, err := add(cur, ok)
		if err != nil {
			return nil, err
		}
		m[key] = v
		return m, nil
	case []any:
		idx, ok := arrayIndex(key, len(m))
		if !ok {
			return nil, opError(i, "Index(%s) is not a valid array index.", key)
		}
		if idx >= len(m) {
			// Arrays have no "missing" slot to create; only existing
			// elements can be incremented.
			return nil, outOfBounds(i, key)
		}
		v, err := add(m[idx], true)
		if err != nil {
			return nil, err
		}
		m[idx] = v
		return m, nil
	}
	return nil, missingParent(i, path, true)
}

// number converts a JSON number (or a Go numeric value supplied by a caller
// building operations directly) to float64.
func number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case json.Number:
		p, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0, false
		}
		f = p
	default:
		return 0, false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// copyValue deep-copies the containers of a decoded JSON value so edits on
// the copy never reach the caller's document. Leaves are immutable and kept
// as they are (including json.Number, should the server decode with
// UseNumber).
func copyValue(v any) map[string]any {
	m, _ := deepCopy(v).(map[string]any)
	return m
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return nil
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		if x == nil {
			return []any(nil)
		}
		out := make([]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	}
	return v
}

// normalize turns an operation value into decoded-JSON form owned by the
// result: native JSON values are deep-copied (so the document never aliases
// the operation), Go numbers become float64, and any other Go value goes
// through a JSON round trip, as if the client had sent it.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, float64:
		return x, nil
	case json.Number:
		return x, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	if f, ok := number(v); ok {
		return f, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseBody decodes a patch request body, {"operations":[...]} with an
// optional "condition" (a SQL filter such as "from c where c.n = 1" that the
// server evaluates before applying), or the bare array of operations that the
// JavaScript SDK sends when it is given no condition, and validates the
// operations. A value
// nesting more than jsondepth.Max levels is refused; the patched item is held
// to the same limit when it is stored. The same
// shape is the resourceBody of a patch inside a transactional batch.
//
// The Go SDK writes the condition into the JSON without escaping it, so a
// condition containing a double quote or backslash is invalid JSON. The SDK's
// own json.Marshal call then fails before sending; should such bytes arrive
// anyway they are rejected with 400, as the service would.
func ParseBody(b []byte) (ops []Operation, condition string, err error) {
	// A value sits valueDepth levels into the body, so a body within
	// Max+valueDepth levels holds no value deeper than Max. Checking before
	// decoding also keeps the decoder from reading far deeper first (it
	// would stop only at its own limit of 10,000 levels).
	const valueDepth = 3 // {"operations":[{"value": ...}]}
	if jsondepth.Exceeds(b, jsondepth.Max+valueDepth) {
		return nil, "", badRequest("Invalid patch request: %v.", &jsondepth.Error{What: "a value"})
	}
	raw := json.RawMessage(bytes.TrimSpace(b))
	if !bytes.HasPrefix(raw, []byte("[")) {
		var body map[string]json.RawMessage
		if err := json.Unmarshal(b, &body); err != nil || body == nil {
			return nil, "", badRequest(errSyntax)
		}
		if c, ok := body["condition"]; ok && !isNull(c) {
			if err := json.Unmarshal(c, &condition); err != nil {
				return nil, "", badRequest("Invalid patch request: condition must be a string.")
			}
		}
		var ok bool
		if raw, ok = body["operations"]; !ok || isNull(raw) {
			return nil, "", badRequest(errSyntax)
		}
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, "", badRequest(errSyntax)
	}
	ops = make([]Operation, len(items))
	for i, it := range items {
		if it == nil {
			return nil, "", opError(i, errSyntax)
		}
		if err := stringField(it, "op", &ops[i].Op, true); err != nil {
			return nil, "", opError(i, "%s", err.Error())
		}
		if err := stringField(it, "path", &ops[i].Path, true); err != nil {
			return nil, "", opError(i, "%s", err.Error())
		}
		if err := stringField(it, "from", &ops[i].From, false); err != nil {
			return nil, "", opError(i, "%s", err.Error())
		}
		if v, ok := it["value"]; ok {
			if err := json.Unmarshal(v, &ops[i].Value); err != nil {
				return nil, "", opError(i, errSyntax)
			}
		}
	}
	if err := Validate(ops); err != nil {
		return nil, "", err
	}
	return ops, condition, nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

type fieldError string

func (e fieldError) Error() string { return string(e) }

func stringField(m map[string]json.RawMessage, name string, dst *string, required bool) error {
	raw, ok := m[name]
	if !ok {
		if required {
			return fieldError("'" + name + "' is required. " + errSyntax)
		}
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) {
		return fieldError("'" + name + "' must be a string. " + errSyntax)
	}
	return nil
}
