package cosmossql

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// The gateway answers a query plan request with the query rewritten in its
// own canonical spelling: every operator application in parentheses, string
// literals in double quotes, FROM <container> AS <alias> when the alias
// differs, one clause per line. sqlOf and (*Query).sqlText reproduce that
// spelling so the rewritten queries match the gateway's text.

// sqlOf renders an expression in the gateway's canonical spelling.
func sqlOf(e expr) string {
	switch x := e.(type) {
	case *literalExpr:
		return sqlLiteral(x.val)
	case *paramExpr:
		return x.name
	case *rootExpr:
		return x.name
	case *memberExpr:
		if x.bracket || !isIdentifier(x.name) {
			return sqlOf(x.x) + "[" + sqlString(x.name) + "]"
		}
		return sqlOf(x.x) + "." + x.name
	case *indexExpr:
		return sqlOf(x.x) + "[" + sqlOf(x.index) + "]"
	case *arrayExpr:
		return "[" + sqlList(x.elems) + "]"
	case *objectExpr:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = sqlString(k) + ": " + sqlOf(x.vals[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *unaryExpr:
		if x.op == "NOT" {
			return "(NOT " + sqlOf(x.x) + ")"
		}
		return "(" + x.op + sqlOf(x.x) + ")"
	case *binaryExpr:
		return "(" + sqlOf(x.l) + " " + x.op + " " + sqlOf(x.r) + ")"
	case *logicalExpr:
		// The service's tree is binary and left-deep; ours is a flat chain.
		s := sqlOf(x.terms[0])
		for _, t := range x.terms[1:] {
			s = "(" + s + " " + x.op + " " + sqlOf(t) + ")"
		}
		return s
	case *inExpr:
		op := " IN ("
		if x.not {
			op = " NOT IN ("
		}
		return "(" + sqlOf(x.x) + op + sqlList(x.list) + "))"
	case *betweenExpr:
		op := " BETWEEN "
		if x.not {
			op = " NOT BETWEEN "
		}
		return "(" + sqlOf(x.x) + op + sqlOf(x.lo) + " AND " + sqlOf(x.hi) + ")"
	case *coalesceExpr:
		return "(" + sqlOf(x.l) + " ?? " + sqlOf(x.r) + ")"
	case *callExpr:
		return x.spelled + "(" + sqlList(x.args) + ")"
	case *aggregateExpr:
		return x.spelled + "(" + sqlOf(x.arg) + ")"
	}
	return e.String()
}

func sqlList(es []expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = sqlOf(e)
	}
	return strings.Join(parts, ", ")
}

func sqlLiteral(v any) string {
	switch x := v.(type) {
	case string:
		return sqlString(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return formatLiteral(v)
}

// sqlString quotes s as a JSON string, the form the gateway writes.
func sqlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// isIdentifier reports whether name can follow a dot: a letter or '_'
// followed by letters, digits and '_', and not a reserved word.
func isIdentifier(name string) bool {
	if name == "" || keywords[strings.ToUpper(name)] {
		return false
	}
	for i, r := range name {
		letter := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// sqlQuery is a query's clauses in canonical spelling, each without its
// keyword; empty clauses are left out when rendered.
type sqlQuery struct {
	distinct                 bool
	top                      string
	selection                string
	from                     string
	where                    string
	groupBy, orderBy, offset string
}

func (s sqlQuery) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if s.distinct {
		b.WriteString("DISTINCT ")
	}
	if s.top != "" {
		b.WriteString("TOP " + s.top + " ")
	}
	b.WriteString(s.selection)
	for _, c := range []struct{ kw, text string }{
		{"FROM ", s.from}, {"WHERE ", s.where}, {"GROUP BY ", s.groupBy}, {"ORDER BY ", s.orderBy}, {"", s.offset},
	} {
		if c.text != "" {
			b.WriteString("\n" + c.kw + c.text)
		}
	}
	return b.String()
}

// canonical returns the query's clauses as written, in canonical spelling;
// counts holds the resolved TOP, OFFSET and LIMIT (-1 when absent).
func (q *Query) canonical(top, offset, limit int64) sqlQuery {
	s := sqlQuery{distinct: q.distinct, selection: q.sqlSelection()}
	if top >= 0 {
		s.top = strconv.FormatInt(top, 10)
	}
	if q.hasFrom {
		s.from = q.container
		if q.alias != q.container {
			s.from += " AS " + q.alias
		}
	}
	if q.where != nil {
		s.where = sqlOf(q.where)
	}
	s.groupBy = sqlList(q.groupBy)
	keys := make([]string, len(q.orderBy))
	for i, o := range q.orderBy {
		keys[i] = sqlOf(o.e)
		switch {
		case o.desc:
			keys[i] += " DESC"
		case o.asc:
			keys[i] += " ASC"
		}
	}
	s.orderBy = strings.Join(keys, ", ")
	if offset >= 0 {
		s.offset = "OFFSET " + strconv.FormatInt(offset, 10) + " LIMIT " + strconv.FormatInt(limit, 10)
	}
	return s
}

func (q *Query) sqlSelection() string {
	switch q.kind {
	case selectStar:
		return "*"
	case selectValue:
		return "VALUE " + sqlOf(q.value)
	}
	parts := make([]string, len(q.items))
	for i, it := range q.items {
		parts[i] = sqlOf(it.e)
		if it.aliased {
			parts[i] += " AS " + it.name
		}
	}
	return strings.Join(parts, ", ")
}
