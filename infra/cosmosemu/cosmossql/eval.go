package cosmossql

import (
	"math"
)

// env is what an expression is evaluated against.
type env struct {
	doc    any            // the current document, bound to the FROM alias
	params map[string]any // normalized parameter values
	aggs   []any          // results of the aggregates of the current group
}

// eval computes the value of e. The result is a JSON value or undefined;
// the only errors are those the service also reports at run time.
func eval(e expr, en *env) (any, error) {
	switch x := e.(type) {
	case *literalExpr:
		return x.val, nil
	case *paramExpr:
		v, ok := en.params[x.name]
		if !ok {
			return nil, errorf("the parameter %s is not defined", x.name)
		}
		return v, nil
	case *rootExpr:
		return en.doc, nil
	case *memberExpr:
		base, err := eval(x.x, en)
		if err != nil {
			return nil, err
		}
		return member(base, x.name), nil
	case *indexExpr:
		base, err := eval(x.x, en)
		if err != nil {
			return nil, err
		}
		idx, err := eval(x.index, en)
		if err != nil {
			return nil, err
		}
		return index(base, idx), nil
	case *arrayExpr:
		out := make([]any, len(x.elems))
		for i, el := range x.elems {
			v, err := eval(el, en)
			if err != nil {
				return nil, err
			}
			if isUndefined(v) {
				v = nil // the hosted service writes a missing member as null
			}
			out[i] = v
		}
		return out, nil
	case *objectExpr:
		out := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			v, err := eval(x.vals[i], en)
			if err != nil {
				return nil, err
			}
			if !isUndefined(v) {
				out[k] = v
			}
		}
		return out, nil
	case *unaryExpr:
		v, err := eval(x.x, en)
		if err != nil {
			return nil, err
		}
		return unary(x.op, v), nil
	case *binaryExpr:
		l, err := eval(x.l, en)
		if err != nil {
			return nil, err
		}
		r, err := eval(x.r, en)
		if err != nil {
			return nil, err
		}
		return binary(x.op, l, r)
	case *logicalExpr:
		return evalLogical(x, en)
	case *inExpr:
		return evalIn(x, en)
	case *betweenExpr:
		v, err := eval(x.x, en)
		if err != nil {
			return nil, err
		}
		lo, err := eval(x.lo, en)
		if err != nil {
			return nil, err
		}
		hi, err := eval(x.hi, en)
		if err != nil {
			return nil, err
		}
		ge, _ := binary(">=", v, lo)
		le, _ := binary("<=", v, hi)
		res := and3(ge, le)
		if x.not {
			res = not3(res)
		}
		return res, nil
	case *coalesceExpr:
		l, err := eval(x.l, en)
		if err != nil {
			return nil, err
		}
		if !isUndefined(l) {
			return l, nil
		}
		return eval(x.r, en)
	case *callExpr:
		args := make([]any, len(x.args))
		for i, a := range x.args {
			v, err := eval(a, en)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
		return x.fn.impl(args), nil
	case *aggregateExpr:
		if x.slot < 0 || x.slot >= len(en.aggs) {
			return nil, errorf("aggregate %s is not valid here", x.name)
		}
		return en.aggs[x.slot], nil
	}
	return nil, errorf("internal error: unknown expression %T", e)
}

// member reads a property of an object; anything else gives undefined.
func member(base any, name string) any {
	if m, ok := base.(map[string]any); ok {
		if v, ok := m[name]; ok {
			return v
		}
	}
	return undefined
}

// index applies x[i]: a non-negative integer indexes an array, a string
// names a property of an object.
func index(base, idx any) any {
	switch i := idx.(type) {
	case string:
		return member(base, i)
	case float64:
		arr, ok := base.([]any)
		if !ok || i < 0 || i != math.Trunc(i) || i >= float64(len(arr)) {
			return undefined
		}
		return arr[int(i)]
	}
	return undefined
}

func unary(op string, v any) any {
	switch op {
	case "NOT":
		return not3(v)
	case "-":
		if n, ok := v.(float64); ok {
			return -n
		}
	case "+":
		if n, ok := v.(float64); ok {
			return n
		}
	}
	return undefined
}

// binary applies an arithmetic, comparison or concatenation operator.
func binary(op string, l, r any) (any, error) {
	switch op {
	case "=":
		return equalsTri(l, r), nil
	case "!=":
		return not3(equalsTri(l, r)), nil
	case "<", "<=", ">", ">=":
		c, ok := compareScalar(l, r)
		if !ok {
			return undefined, nil
		}
		switch op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "||":
		ls, ok1 := l.(string)
		rs, ok2 := r.(string)
		if !ok1 || !ok2 {
			return undefined, nil
		}
		return ls + rs, nil
	}
	ln, ok1 := l.(float64)
	rn, ok2 := r.(float64)
	if !ok1 || !ok2 {
		return undefined, nil
	}
	var res float64
	switch op {
	case "+":
		res = ln + rn
	case "-":
		res = ln - rn
	case "*":
		res = ln * rn
	case "/":
		if rn == 0 {
			return nil, errorf("division by zero")
		}
		res = ln / rn
	case "%":
		if rn == 0 {
			return nil, errorf("division by zero")
		}
		res = math.Mod(ln, rn)
	default:
		return nil, errorf("internal error: unknown operator %s", op)
	}
	if math.IsInf(res, 0) || math.IsNaN(res) {
		// JSON cannot carry it, so it can never be a result.
		return undefined, nil
	}
	return res, nil
}

// Three-valued logic: a value that is not a boolean counts as undefined.

func not3(v any) any {
	if b, ok := v.(bool); ok {
		return !b
	}
	return undefined
}

func and3(a, b any) any {
	x, okx := a.(bool)
	y, oky := b.(bool)
	switch {
	case (okx && !x) || (oky && !y):
		return false
	case okx && oky:
		return true
	}
	return undefined
}

func evalLogical(x *logicalExpr, en *env) (any, error) {
	// AND: false wins, then undefined, then true. OR: true wins, then
	// undefined, then false. Evaluation stops at the deciding operand.
	decisive := x.op == "OR"
	sawUndefined := false
	for _, t := range x.terms {
		v, err := eval(t, en)
		if err != nil {
			return nil, err
		}
		b, ok := v.(bool)
		switch {
		case !ok:
			sawUndefined = true
		case b == decisive:
			return decisive, nil
		}
	}
	if sawUndefined {
		return undefined, nil
	}
	return !decisive, nil
}

// evalIn treats x IN (a, b) as x = a OR x = b.
func evalIn(x *inExpr, en *env) (any, error) {
	v, err := eval(x.x, en)
	if err != nil {
		return nil, err
	}
	var res any = false
	for _, item := range x.list {
		w, err := eval(item, en)
		if err != nil {
			return nil, err
		}
		eq := equalsTri(v, w)
		if eq == true {
			res = true
			break
		}
		if isUndefined(eq) {
			res = undefined
		}
	}
	if x.not {
		res = not3(res)
	}
	return res, nil
}
