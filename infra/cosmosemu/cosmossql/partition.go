package cosmossql

import "strings"

// PartitionKeyValues reports whether the WHERE clause pins every partition
// key path to one value, and returns those values in path order. paths are
// the container's partition key paths such as "/pk" or "/tenant/id" (several
// for hierarchical keys). A path is pinned by a top-level AND term of the
// form alias.path = constant (or constant = alias.path), where the constant
// is a literal or a supplied parameter. The gateway routes such a query to a
// single partition, so the server can run it there even when the request
// names no partition key; this mirrors that routing for the common case and
// answers false for anything more complex.
func (q *Query) PartitionKeyValues(paths []string, params map[string]any) ([]any, bool) {
	if q.where == nil || len(paths) == 0 {
		return nil, false
	}
	terms := []expr{q.where}
	if l, ok := q.where.(*logicalExpr); ok {
		if l.op != "AND" {
			return nil, false
		}
		terms = l.terms
	}
	out := make([]any, len(paths))
	for i, path := range paths {
		segs := splitKeyPath(path)
		if len(segs) == 0 {
			return nil, false
		}
		found := false
		for _, t := range terms {
			b, ok := t.(*binaryExpr)
			if !ok || b.op != "=" {
				continue
			}
			for _, side := range [][2]expr{{b.l, b.r}, {b.r, b.l}} {
				if !q.isPath(side[0], segs) {
					continue
				}
				v, ok := constantValue(side[1], params)
				if !ok {
					continue
				}
				if found && !equalValues(out[i], v) {
					return nil, false // contradictory: matches nothing anywhere
				}
				out[i], found = v, true
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}

// splitKeyPath turns "/a/b" into ["a", "b"]; quoted segments ("/\"a b\"")
// lose their quotes.
func splitKeyPath(path string) []string {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return nil
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
			segs[i] = s[1 : len(s)-1]
		}
	}
	return segs
}

// isPath reports whether e is alias.segs[0].segs[1]...
func (q *Query) isPath(e expr, segs []string) bool {
	for i := len(segs) - 1; i >= 0; i-- {
		m, ok := e.(*memberExpr)
		if !ok || m.name != segs[i] {
			return false
		}
		e = m.x
	}
	r, ok := e.(*rootExpr)
	return ok && r.name == q.alias
}

// constantValue evaluates a literal or parameter that is a defined JSON
// primitive.
func constantValue(e expr, params map[string]any) (any, bool) {
	var v any
	switch x := e.(type) {
	case *literalExpr:
		v = x.val
	case *paramExpr:
		p, ok := params[x.name]
		if !ok {
			return nil, false
		}
		v = normalizeParam(p)
	default:
		return nil, false
	}
	switch kindOf(v) {
	case kindNull, kindBool, kindNumber, kindString:
		return v, true
	}
	return nil, false
}
