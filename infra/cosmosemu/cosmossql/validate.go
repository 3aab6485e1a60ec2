package cosmossql

import "strconv"

// check performs the semantic checks that need the whole query: name
// resolution, aggregate placement, GROUP BY rules, ORDER BY paths and the
// names of projected properties. Doing them at parse time means Run only
// fails for data-dependent reasons.
func (q *Query) check() error {
	if q.kind == selectStar && !q.hasFrom {
		return errorf("'SELECT *' is not valid if the FROM clause is omitted")
	}
	if err := q.resolveNames(); err != nil {
		return err
	}
	if err := q.collectAggregates(); err != nil {
		return err
	}
	grouped := len(q.aggs) > 0 || len(q.groupBy) > 0
	if grouped && q.kind == selectStar {
		return errorf("'SELECT *' is not valid with aggregates or GROUP BY")
	}
	if len(q.groupBy) > 0 {
		if len(q.orderBy) > 0 {
			return errorf("GROUP BY cannot be combined with ORDER BY")
		}
		for _, g := range q.groupBy {
			if !referencesRoot(g) {
				return errorf("each GROUP BY expression must contain a property reference, got %s", g)
			}
		}
	}
	if grouped {
		if err := q.checkGroupedSelect(); err != nil {
			return err
		}
		if len(q.orderBy) > 0 {
			return unsupported("ORDER BY together with aggregate functions")
		}
	}
	for _, o := range q.orderBy {
		if !isSortPath(o.e, true) {
			return errorf("ORDER BY supports only property paths of the FROM alias (such as %s.name), got %s", q.alias, o.e)
		}
	}
	if q.top != nil && q.offset != nil {
		return unsupported("TOP together with OFFSET LIMIT")
	}
	return q.nameItems()
}

// resolveNames checks that every identifier refers to the FROM alias;
// without FROM there is nothing to refer to.
func (q *Query) resolveNames() error {
	var err error
	visit := func(e expr) bool {
		if r, ok := e.(*rootExpr); ok && err == nil {
			if !q.hasFrom || r.name != q.alias {
				err = errorf("identifier '%s' could not be resolved", r.name)
			}
		}
		return err == nil
	}
	for _, e := range q.allExprs() {
		walk(e, visit)
	}
	return err
}

// allExprs lists the top-level expressions of every clause.
func (q *Query) allExprs() []expr {
	var es []expr
	if q.value != nil {
		es = append(es, q.value)
	}
	for _, it := range q.items {
		es = append(es, it.e)
	}
	if q.where != nil {
		es = append(es, q.where)
	}
	es = append(es, q.groupBy...)
	for _, o := range q.orderBy {
		es = append(es, o.e)
	}
	return es
}

// selectExprs lists the expressions of the SELECT clause.
func (q *Query) selectExprs() []expr {
	if q.kind == selectValue {
		return []expr{q.value}
	}
	es := make([]expr, len(q.items))
	for i, it := range q.items {
		es[i] = it.e
	}
	return es
}

// collectAggregates numbers the aggregates of the SELECT clause and rejects
// aggregates anywhere else or nested in one another.
func (q *Query) collectAggregates() error {
	var err error
	for _, e := range q.selectExprs() {
		walk(e, func(n expr) bool {
			a, ok := n.(*aggregateExpr)
			if !ok || err != nil {
				return err == nil
			}
			walk(a.arg, func(m expr) bool {
				if _, nested := m.(*aggregateExpr); nested && err == nil {
					err = errorf("aggregate functions cannot be nested: %s", a)
				}
				return err == nil
			})
			a.slot = len(q.aggs)
			q.aggs = append(q.aggs, a)
			return false
		})
	}
	if err != nil {
		return err
	}
	other := []expr{}
	if q.where != nil {
		other = append(other, q.where)
	}
	other = append(other, q.groupBy...)
	for _, o := range q.orderBy {
		other = append(other, o.e)
	}
	for _, e := range other {
		walk(e, func(n expr) bool {
			if a, ok := n.(*aggregateExpr); ok && err == nil {
				err = errorf("aggregate function %s is only allowed in the SELECT clause", a.name)
			}
			return err == nil
		})
	}
	return err
}

// checkGroupedSelect enforces that outside aggregate arguments the SELECT
// clause only uses GROUP BY expressions and constants.
func (q *Query) checkGroupedSelect() error {
	keys := map[string]bool{}
	for _, g := range q.groupBy {
		keys[g.String()] = true
	}
	var err error
	visit := func(e expr) bool {
		if err != nil {
			return false
		}
		if keys[e.String()] {
			return false
		}
		switch x := e.(type) {
		case *aggregateExpr:
			return false
		case *rootExpr:
			err = errorf("'%s' is invalid in the select list because it is not contained in an aggregate function or the GROUP BY clause", x.name)
			return false
		case *memberExpr, *indexExpr:
			if referencesRoot(x) {
				err = errorf("'%s' is invalid in the select list because it is not contained in an aggregate function or the GROUP BY clause", e)
				return false
			}
		}
		return true
	}
	for _, e := range q.selectExprs() {
		walk(e, visit)
	}
	return err
}

func referencesRoot(e expr) bool {
	found := false
	walk(e, func(n expr) bool {
		if _, ok := n.(*rootExpr); ok {
			found = true
		}
		return !found
	})
	return found
}

// isSortPath reports whether e is alias.a.b, alias["a"] or alias.a[0]; the
// service only sorts on document paths.
func isSortPath(e expr, top bool) bool {
	switch x := e.(type) {
	case *rootExpr:
		return !top
	case *memberExpr:
		return isSortPath(x.x, false)
	case *indexExpr:
		lit, ok := x.index.(*literalExpr)
		if !ok {
			return false
		}
		if _, ok := lit.val.(float64); !ok {
			return false
		}
		return isSortPath(x.x, false)
	}
	return false
}

// nameItems assigns output property names to SELECT list items: the alias,
// else the last property of a path, else $1, $2, ... for the others.
func (q *Query) nameItems() error {
	seen := map[string]bool{}
	n := 0
	for i := range q.items {
		it := &q.items[i]
		if it.name == "" {
			switch x := it.e.(type) {
			case *memberExpr:
				it.name = x.name
			case *rootExpr:
				it.name = x.name
			default:
				n++
				it.name = "$" + strconv.Itoa(n)
			}
		}
		if seen[it.name] {
			return errorf("the property name '%s' is specified more than once in the SELECT list; use AS to rename one of them", it.name)
		}
		seen[it.name] = true
	}
	return nil
}
