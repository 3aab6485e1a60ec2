package cosmossql

// IDValues reports whether the WHERE clause limits the result to items with
// given ids — a top-level AND term alias.id = constant or alias.id IN
// (constants) — and returns those ids. Cosmos DB answers such queries from
// its index; the server uses this to fetch the items by id instead of
// scanning the partition, so a filter on a few ids stays cheap however large
// the partition is. The full WHERE is still evaluated on what is fetched.
func (q *Query) IDValues(params map[string]any) ([]string, bool) {
	if q.where == nil {
		return nil, false
	}
	terms := []expr{q.where}
	if l, ok := q.where.(*logicalExpr); ok {
		if l.op != "AND" {
			return nil, false
		}
		terms = l.terms
	}
	idPath := []string{"id"}
	for _, t := range terms {
		switch x := t.(type) {
		case *binaryExpr:
			if x.op != "=" {
				continue
			}
			for _, side := range [][2]expr{{x.l, x.r}, {x.r, x.l}} {
				if !q.isPath(side[0], idPath) {
					continue
				}
				if v, ok := constantValue(side[1], params); ok {
					if s, ok := v.(string); ok {
						return []string{s}, true
					}
					return []string{}, true // a non-string id matches nothing
				}
			}
		case *inExpr:
			if x.not || !q.isPath(x.x, idPath) {
				continue
			}
			ids := make([]string, 0, len(x.list))
			for _, e := range x.list {
				v, ok := constantValue(e, params)
				if !ok {
					ids = nil
					break
				}
				if s, ok := v.(string); ok {
					ids = append(ids, s)
				}
			}
			if ids != nil {
				return ids, true
			}
		}
	}
	return nil, false
}
