package cosmossql

import (
	"strconv"
	"strings"
)

// expr is a node of a parsed scalar expression. String renders the node in a
// canonical form; GROUP BY uses it to match select expressions against
// grouping expressions.
type expr interface {
	String() string
}

// literalExpr is a constant: nil (null), bool, float64, string, or undefined.
type literalExpr struct{ val any }

// paramExpr references a query parameter; name includes the leading '@'.
type paramExpr struct{ name string }

// rootExpr references the FROM alias, i.e. the current document.
type rootExpr struct{ name string }

// memberExpr is x.name or x["name"]; bracket records the second spelling,
// which the gateway keeps when it rewrites a query.
type memberExpr struct {
	x       expr
	name    string
	bracket bool
}

// indexExpr is x[i] where i is not a string literal: a number indexes an
// array, a string computed at run time (for example a parameter) names a
// property.
type indexExpr struct {
	x, index expr
}

// arrayExpr is an array literal [a, b].
type arrayExpr struct{ elems []expr }

// objectExpr is an object literal {a: x, "b": y}.
type objectExpr struct {
	keys []string
	vals []expr
}

// unaryExpr is -x, +x or NOT x.
type unaryExpr struct {
	op string // "-", "+", "NOT"
	x  expr
}

// binaryExpr is an arithmetic, comparison or string concatenation operator.
type binaryExpr struct {
	op   string // "*", "/", "%", "+", "-", "<", "<=", ">", ">=", "=", "!=", "||"
	l, r expr
}

// logicalExpr is a flat AND or OR chain; keeping it flat lets filters with
// thousands of conditions stay within MaxNesting.
type logicalExpr struct {
	op    string // "AND" or "OR"
	terms []expr
}

// inExpr is x [NOT] IN (list).
type inExpr struct {
	x    expr
	list []expr
	not  bool
}

// betweenExpr is x [NOT] BETWEEN lo AND hi.
type betweenExpr struct {
	x, lo, hi expr
	not       bool
}

// coalesceExpr is l ?? r.
type coalesceExpr struct{ l, r expr }

// callExpr is a call of a built-in scalar function. spelled is the name as
// written, which rewritten queries repeat.
type callExpr struct {
	name    string // upper case
	spelled string
	fn      *builtin
	args    []expr
}

// aggregateExpr is COUNT, SUM, MIN, MAX or AVG. slot indexes the accumulator
// of the current group at run time.
type aggregateExpr struct {
	name    string // upper case
	spelled string // as written
	arg     expr
	slot    int
}

func (e *literalExpr) String() string { return formatLiteral(e.val) }
func (e *paramExpr) String() string   { return e.name }
func (e *rootExpr) String() string    { return e.name }
func (e *memberExpr) String() string  { return e.x.String() + "[" + strconv.Quote(e.name) + "]" }
func (e *indexExpr) String() string   { return e.x.String() + "[" + e.index.String() + "]" }
func (e *arrayExpr) String() string   { return "[" + joinExprs(e.elems) + "]" }
func (e *unaryExpr) String() string   { return "(" + e.op + " " + e.x.String() + ")" }
func (e *binaryExpr) String() string {
	return "(" + e.l.String() + " " + e.op + " " + e.r.String() + ")"
}
func (e *coalesceExpr) String() string { return "(" + e.l.String() + " ?? " + e.r.String() + ")" }
func (e *callExpr) String() string     { return e.name + "(" + joinExprs(e.args) + ")" }
func (e *aggregateExpr) String() string {
	return e.name + "(" + e.arg.String() + ")"
}

func (e *objectExpr) String() string {
	parts := make([]string, len(e.keys))
	for i, k := range e.keys {
		parts[i] = strconv.Quote(k) + ": " + e.vals[i].String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (e *logicalExpr) String() string {
	parts := make([]string, len(e.terms))
	for i, t := range e.terms {
		parts[i] = t.String()
	}
	return "(" + strings.Join(parts, " "+e.op+" ") + ")"
}

func (e *inExpr) String() string {
	op := " IN "
	if e.not {
		op = " NOT IN "
	}
	return "(" + e.x.String() + op + "(" + joinExprs(e.list) + "))"
}

func (e *betweenExpr) String() string {
	op := " BETWEEN "
	if e.not {
		op = " NOT BETWEEN "
	}
	return "(" + e.x.String() + op + e.lo.String() + " AND " + e.hi.String() + ")"
}

func joinExprs(es []expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

func formatLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return strconv.Quote(x)
	default:
		return "undefined"
	}
}

// walk calls f for e and every node below it, stopping early when f returns
// false for a node (its children are then skipped).
func walk(e expr, f func(expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch x := e.(type) {
	case *memberExpr:
		walk(x.x, f)
	case *indexExpr:
		walk(x.x, f)
		walk(x.index, f)
	case *arrayExpr:
		for _, c := range x.elems {
			walk(c, f)
		}
	case *objectExpr:
		for _, c := range x.vals {
			walk(c, f)
		}
	case *unaryExpr:
		walk(x.x, f)
	case *binaryExpr:
		walk(x.l, f)
		walk(x.r, f)
	case *logicalExpr:
		for _, c := range x.terms {
			walk(c, f)
		}
	case *inExpr:
		walk(x.x, f)
		for _, c := range x.list {
			walk(c, f)
		}
	case *betweenExpr:
		walk(x.x, f)
		walk(x.lo, f)
		walk(x.hi, f)
	case *coalesceExpr:
		walk(x.l, f)
		walk(x.r, f)
	case *callExpr:
		for _, c := range x.args {
			walk(c, f)
		}
	case *aggregateExpr:
		walk(x.arg, f)
	}
}

// selectItem is one entry of a SELECT list with its output property name;
// aliased tells whether the name was written (AS name).
type selectItem struct {
	e       expr
	name    string
	aliased bool
}

// orderItem is one ORDER BY key; asc tells whether ASC was written.
type orderItem struct {
	e    expr
	desc bool
	asc  bool
}

// countSpec is the argument of TOP, OFFSET or LIMIT: a literal or a
// parameter resolved at run time.
type countSpec struct {
	n     int64
	param string // non-empty when the count comes from a parameter
}

// selectKind tells how results are shaped.
type selectKind int

const (
	selectStar  selectKind = iota // SELECT *
	selectValue                   // SELECT VALUE expr
	selectList                    // SELECT a, b AS c
)
