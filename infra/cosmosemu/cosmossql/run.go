package cosmossql

import (
	"math"
	"slices"
	"sort"
)

// Run evaluates the query over docs (each the result of json.Unmarshal into
// any, without UseNumber: numbers must be float64) with the named parameters
// (names include the leading '@'; values may also be Go integers,
// json.Number or anything encoding/json can marshal). It returns
// the result values in order, already ordered, aggregated and paged (TOP and
// OFFSET LIMIT applied). A reference to a parameter that was not supplied is
// an *Error; so is a division by zero and a TOP, OFFSET or LIMIT parameter
// that is not a non-negative integer.
func (q *Query) Run(docs []any, params map[string]any) ([]any, error) {
	en := &env{params: make(map[string]any, len(q.params))}
	for _, name := range q.params {
		v, ok := params[name]
		if !ok {
			return nil, errorf("the parameter %s is referenced in the query but no value was supplied", name)
		}
		en.params[name] = normalizeParam(v)
	}
	top, offset, limit, err := q.counts(en)
	if err != nil {
		return nil, err
	}

	if !q.hasFrom {
		// Without FROM the query runs once, against no document.
		docs = []any{undefined}
	}

	// Without ordering, deduplication or aggregation the first results are
	// final, so stop as soon as paging has what it needs.
	want := -1
	if len(q.orderBy) == 0 && !q.distinct && len(q.aggs) == 0 && len(q.groupBy) == 0 {
		switch {
		case top >= 0:
			want = int(top)
		case limit >= 0:
			want = int(offset + limit)
		}
	}

	var matched []any
	for _, d := range docs {
		if want >= 0 && len(matched) >= want && q.kind != selectValue {
			break
		}
		if q.where != nil {
			en.doc = d
			v, err := eval(q.where, en)
			if err != nil {
				return nil, err
			}
			if v != true {
				continue
			}
		}
		matched = append(matched, d)
	}

	var results []any
	if len(q.aggs) > 0 || len(q.groupBy) > 0 {
		results, err = q.runGrouped(matched, en)
	} else {
		if len(q.orderBy) > 0 {
			if matched, err = q.sortDocs(matched, en); err != nil {
				return nil, err
			}
		}
		results, err = q.project(matched, en)
	}
	if err != nil {
		return nil, err
	}
	if q.distinct {
		results = distinct(results)
	}
	if offset >= 0 {
		results = page(results, offset, limit)
	}
	if top >= 0 {
		results = page(results, 0, top)
	}
	if results == nil {
		results = []any{}
	}
	return results, nil
}

// counts resolves TOP, OFFSET and LIMIT; -1 means the clause is absent.
func (q *Query) counts(en *env) (top, offset, limit int64, err error) {
	if top, err = q.resolveCount(q.top, "TOP", en); err != nil {
		return
	}
	if offset, err = q.resolveCount(q.offset, "OFFSET", en); err != nil {
		return
	}
	limit, err = q.resolveCount(q.limit, "LIMIT", en)
	return
}

// resolveCount turns a TOP/OFFSET/LIMIT spec into a number; -1 means the
// clause is absent.
func (q *Query) resolveCount(c *countSpec, clause string, en *env) (int64, error) {
	if c == nil {
		return -1, nil
	}
	if c.param == "" {
		return c.n, nil
	}
	f, ok := en.params[c.param].(float64)
	if !ok {
		return 0, errorf("the %s parameter %s must be a non-negative integer", clause, c.param)
	}
	n, ok := asCount(f)
	if !ok {
		return 0, errorf("the %s parameter %s must be a non-negative integer no larger than %d, got %v", clause, c.param, math.MaxInt32, f)
	}
	return n, nil
}

func page(rs []any, offset, limit int64) []any {
	if offset >= int64(len(rs)) {
		return nil
	}
	rs = rs[offset:]
	if limit >= 0 && limit < int64(len(rs)) {
		rs = rs[:limit]
	}
	return rs
}

// sortDocs orders documents by the ORDER BY keys. Ties keep their input
// (creation) order, reversed when the first key descends: the service scans
// its index backwards then, and the SDKs that resume a cross-partition
// ORDER BY skip tied items by _rid in that direction.
func (q *Query) sortDocs(docs []any, en *env) ([]any, error) {
	type keyed struct {
		doc  any
		keys []any
	}
	rows := make([]keyed, len(docs))
	for i, d := range docs {
		en.doc = d
		keys := make([]any, len(q.orderBy))
		for j, o := range q.orderBy {
			v, err := eval(o.e, en)
			if err != nil {
				return nil, err
			}
			keys[j] = v
		}
		rows[i] = keyed{doc: d, keys: keys}
	}
	if q.orderBy[0].desc {
		slices.Reverse(rows)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for k, o := range q.orderBy {
			c := compareOrder(rows[i].keys[k], rows[j].keys[k])
			if c == 0 {
				continue
			}
			if o.desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r.doc
	}
	return out, nil
}

// project shapes each document into its result value.
func (q *Query) project(docs []any, en *env) ([]any, error) {
	out := make([]any, 0, len(docs))
	for _, d := range docs {
		en.doc = d
		v, err := q.shape(en)
		if err != nil {
			return nil, err
		}
		if !isUndefined(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// shape evaluates the SELECT clause for the current document (or group).
func (q *Query) shape(en *env) (any, error) {
	switch q.kind {
	case selectStar:
		return en.doc, nil
	case selectValue:
		return eval(q.value, en)
	}
	obj := make(map[string]any, len(q.items))
	for _, it := range q.items {
		v, err := eval(it.e, en)
		if err != nil {
			return nil, err
		}
		if !isUndefined(v) {
			obj[it.name] = v
		}
	}
	return obj, nil
}

// runGrouped evaluates aggregate and GROUP BY queries: one result per group,
// or exactly one result over all matched documents when there is no GROUP
// BY (even when nothing matched, so COUNT can say 0).
func (q *Query) runGrouped(docs []any, en *env) ([]any, error) {
	type group struct {
		first any
		accs  []*accumulator
	}
	var groups []*group
	byKey := map[string]*group{}
	if len(q.groupBy) == 0 {
		g := &group{first: undefined, accs: newAccumulators(q.aggs)}
		if len(docs) > 0 {
			g.first = docs[0]
		}
		groups = append(groups, g)
	}
	for _, d := range docs {
		en.doc = d
		var g *group
		if len(q.groupBy) == 0 {
			g = groups[0]
		} else {
			key := ""
			for _, ge := range q.groupBy {
				v, err := eval(ge, en)
				if err != nil {
					return nil, err
				}
				key += canonicalKey(v) + "|"
			}
			g = byKey[key]
			if g == nil {
				g = &group{first: d, accs: newAccumulators(q.aggs)}
				byKey[key] = g
				groups = append(groups, g)
			}
		}
		for i, a := range q.aggs {
			v, err := eval(a.arg, en)
			if err != nil {
				return nil, err
			}
			g.accs[i].add(v)
		}
	}
	out := make([]any, 0, len(groups))
	for _, g := range groups {
		en.doc = g.first
		en.aggs = make([]any, len(g.accs))
		for i, a := range g.accs {
			en.aggs[i] = a.result()
		}
		v, err := q.shape(en)
		if err != nil {
			return nil, err
		}
		if !isUndefined(v) {
			out = append(out, v)
		}
	}
	en.aggs = nil
	return out, nil
}

// distinct drops values equal to an earlier one, keeping the first.
func distinct(rs []any) []any {
	seen := make(map[string]bool, len(rs))
	out := rs[:0:0]
	for _, v := range rs {
		k := canonicalKey(v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}
