package cosmossql

import "math"

// accumulator folds the argument values of one aggregate over one group.
type accumulator struct {
	name  string
	count float64 // defined values seen
	sum   float64
	best  any  // MIN/MAX so far
	bad   bool // a value made the result undefined
}

func newAccumulators(aggs []*aggregateExpr) []*accumulator {
	accs := make([]*accumulator, len(aggs))
	for i, a := range aggs {
		accs[i] = &accumulator{name: a.name}
	}
	return accs
}

// add folds one value. Undefined values are ignored by every aggregate.
func (a *accumulator) add(v any) {
	if isUndefined(v) || a.bad {
		return
	}
	switch a.name {
	case "COUNT":
		a.count++
	case "SUM", "AVG":
		n, ok := v.(float64)
		if !ok {
			// A string, boolean, null, array or object makes the whole
			// aggregate undefined.
			a.bad = true
			return
		}
		a.sum += n
		a.count++
	case "MIN", "MAX":
		switch kindOf(v) {
		case kindArray, kindObject, kindUndefined:
			a.bad = true
			return
		}
		if a.count == 0 {
			a.best = v
		} else {
			c := compareOrder(v, a.best)
			if (a.name == "MIN" && c < 0) || (a.name == "MAX" && c > 0) {
				a.best = v
			}
		}
		a.count++
	}
}

// result is the aggregate value; COUNT and SUM of nothing are 0, the others
// are undefined.
func (a *accumulator) result() any {
	if a.bad {
		return undefined
	}
	switch a.name {
	case "COUNT":
		return a.count
	case "SUM":
		if math.IsInf(a.sum, 0) || math.IsNaN(a.sum) {
			return undefined
		}
		return a.sum
	case "AVG":
		if a.count == 0 {
			return undefined
		}
		avg := a.sum / a.count
		if math.IsInf(avg, 0) || math.IsNaN(avg) {
			return undefined
		}
		return avg
	case "MIN", "MAX":
		if a.count == 0 {
			return undefined
		}
		return a.best
	}
	return undefined
}
