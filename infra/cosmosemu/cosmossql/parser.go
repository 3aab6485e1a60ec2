package cosmossql

import (
	"math"
	"strings"
)

// Query is a parsed query. It is immutable after Parse and therefore safe for
// concurrent use by several goroutines.
type Query struct {
	text string

	distinct bool
	top      *countSpec
	kind     selectKind
	value    expr         // SELECT VALUE
	items    []selectItem // SELECT list

	hasFrom   bool
	container string // the name written after FROM
	alias     string

	where   expr
	groupBy []expr
	orderBy []orderItem
	offset  *countSpec
	limit   *countSpec

	aggs   []*aggregateExpr // every aggregate in the SELECT clause, by slot
	params []string         // every parameter the query references
}

// String returns the query text as given to Parse.
func (q *Query) String() string { return q.text }

// Parse parses a query. Syntax errors and unsupported constructs return
// *Error.
func Parse(text string) (*Query, error) {
	if len(text) > MaxQueryLength {
		return nil, errorf("the query text is %d bytes long; the maximum is %d", len(text), MaxQueryLength)
	}
	p := &parser{lx: lexer{src: text}}
	q, err := p.parseQuery()
	if lerr := p.lexError(); lerr != nil {
		// The lexer's complaint names the first malformed character, which
		// explains a parse error after it too.
		return nil, lerr
	}
	if err != nil {
		return nil, err
	}
	q.text = text
	if err := q.check(); err != nil {
		return nil, err
	}
	return q, nil
}

// parser is a recursive-descent parser reading tokens from a lexer with one
// token of lookahead beyond the current one. depth counts the nesting of the
// expression being parsed to enforce MaxNesting.
type parser struct {
	lx     lexer
	buf    [2]token // buf[:n] are the tokens read but not consumed
	n      int
	lexErr error
	depth  int
	q      *Query
}

// fill reads tokens until k are buffered. After a lexical error every token
// is tokEOF, so the parse ends at once; Parse reports the lexer's error.
func (p *parser) fill(k int) {
	for p.n < k {
		t, err := p.lx.next()
		if err != nil {
			p.lexErr = err
			t = token{kind: tokEOF, pos: len(p.lx.src)}
		}
		p.buf[p.n] = t
		p.n++
	}
}

// lexError returns the first lexical error of the query, reading past where
// the parse stopped: as when the whole query was lexed first, a malformed
// character anywhere takes precedence over a syntax error.
func (p *parser) lexError() error {
	for p.lexErr == nil {
		t, err := p.lx.next()
		if err != nil {
			p.lexErr = err
		}
		if t.kind == tokEOF {
			break
		}
	}
	return p.lexErr
}

func (p *parser) peek() token {
	p.fill(1)
	return p.buf[0]
}

func (p *parser) peekAt(n int) token {
	p.fill(n + 1)
	return p.buf[n]
}

// advance consumes the current token.
func (p *parser) advance() {
	p.fill(1)
	if p.buf[0].kind == tokEOF {
		return
	}
	p.buf[0] = p.buf[1]
	p.n--
}

func (p *parser) next() token {
	t := p.peek()
	p.advance()
	return t
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokKeyword && t.text == kw
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == op
}

func (p *parser) acceptKeyword(kw string) bool {
	if p.isKeyword(kw) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectKeyword(kw string) error {
	if !p.acceptKeyword(kw) {
		return p.syntaxError("expected " + kw)
	}
	return nil
}

func (p *parser) expectOp(op string) error {
	if !p.acceptOp(op) {
		return p.syntaxError("expected '" + op + "'")
	}
	return nil
}

// syntaxError describes the current token so the message points at the
// problem.
func (p *parser) syntaxError(msg string) *Error {
	t := p.peek()
	return errorf("syntax error at position %d near %s: %s", t.pos, describe(t), msg)
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokString:
		return "string literal"
	case tokNumber:
		return "'" + t.text + "'"
	case tokKeyword:
		return "keyword " + t.text
	default:
		return "'" + t.text + "'"
	}
}

func (p *parser) parseQuery() (*Query, error) {
	q := &Query{}
	p.q = q
	if !p.acceptKeyword("SELECT") {
		if p.peek().kind == tokEOF {
			return nil, errorf("syntax error: the query is empty")
		}
		return nil, p.syntaxError("a query must start with SELECT")
	}
	q.distinct = p.acceptKeyword("DISTINCT")
	if p.acceptKeyword("TOP") {
		c, err := p.parseCount("TOP")
		if err != nil {
			return nil, err
		}
		q.top = c
	}
	if err := p.parseSelection(q); err != nil {
		return nil, err
	}
	if p.acceptKeyword("FROM") {
		if err := p.parseFrom(q); err != nil {
			return nil, err
		}
	}
	if p.acceptKeyword("WHERE") {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		q.where = e
	}
	if p.acceptKeyword("GROUP") {
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		for {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			q.groupBy = append(q.groupBy, e)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKeyword("ORDER") {
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		if t := p.peek(); t.kind == tokIdent && strings.EqualFold(t.text, "RANK") {
			return nil, unsupported("ORDER BY RANK")
		}
		for {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			item := orderItem{e: e}
			if p.acceptKeyword("DESC") {
				item.desc = true
			} else {
				item.asc = p.acceptKeyword("ASC")
			}
			q.orderBy = append(q.orderBy, item)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKeyword("OFFSET") {
		off, err := p.parseCount("OFFSET")
		if err != nil {
			return nil, err
		}
		if err := p.expectKeyword("LIMIT"); err != nil {
			return nil, err
		}
		lim, err := p.parseCount("LIMIT")
		if err != nil {
			return nil, err
		}
		q.offset, q.limit = off, lim
	} else if p.isKeyword("LIMIT") {
		return nil, p.syntaxError("LIMIT requires a preceding OFFSET (write OFFSET 0 LIMIT n)")
	}
	if t := p.peek(); t.kind != tokEOF {
		switch {
		case t.kind == tokKeyword && t.text == "JOIN":
			return nil, unsupported("JOIN")
		case t.kind == tokOp && t.text == ";":
			return nil, p.syntaxError("a trailing ';' is not allowed")
		}
		return nil, p.syntaxError("unexpected token after the end of the query")
	}
	return q, nil
}

// parseCount reads the number of TOP, OFFSET or LIMIT: a non-negative integer
// literal or a parameter.
func (p *parser) parseCount(clause string) (*countSpec, error) {
	t := p.peek()
	switch t.kind {
	case tokNumber:
		p.next()
		n, ok := asCount(t.num)
		if !ok {
			return nil, errorf("the %s count must be a non-negative integer no larger than %d, got %s", clause, math.MaxInt32, t.text)
		}
		return &countSpec{n: n}, nil
	case tokParam:
		p.next()
		p.q.addParam(t.text)
		return &countSpec{param: t.text}, nil
	}
	return nil, p.syntaxError(clause + " requires a non-negative integer or a parameter")
}

// asCount converts a number to a TOP/OFFSET/LIMIT count if it is a
// non-negative integer that fits the service's 32-bit count.
func asCount(f float64) (int64, bool) {
	if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false
	}
	return int64(f), true
}

func (q *Query) addParam(name string) {
	for _, n := range q.params {
		if n == name {
			return
		}
	}
	q.params = append(q.params, name)
}

func (p *parser) parseSelection(q *Query) error {
	if p.acceptOp("*") {
		q.kind = selectStar
		return nil
	}
	if p.acceptKeyword("VALUE") {
		if p.isOp("*") {
			return p.syntaxError("SELECT VALUE * is not valid")
		}
		e, err := p.parseExpr()
		if err != nil {
			return err
		}
		q.kind, q.value = selectValue, e
		return nil
	}
	q.kind = selectList
	for {
		if p.isOp("*") {
			return p.syntaxError("'*' must be the only item of the SELECT list")
		}
		e, err := p.parseExpr()
		if err != nil {
			return err
		}
		item := selectItem{e: e}
		if p.acceptKeyword("AS") {
			name, err := p.parseIdentifier("an alias after AS")
			if err != nil {
				return err
			}
			item.name, item.aliased = name, true
		} else if t := p.peek(); t.kind == tokIdent {
			// The AS keyword is optional: SELECT c.a foo.
			p.next()
			item.name, item.aliased = t.text, true
		}
		q.items = append(q.items, item)
		if !p.acceptOp(",") {
			break
		}
	}
	return nil
}

// parseIdentifier reads a bare identifier, explaining when a reserved word
// was used instead.
func (p *parser) parseIdentifier(what string) (string, error) {
	t := p.peek()
	if t.kind == tokIdent {
		p.next()
		return t.text, nil
	}
	if t.kind == tokKeyword {
		return "", p.syntaxError(t.text + " is a reserved word and cannot be used as " + what)
	}
	return "", p.syntaxError("expected " + what)
}

// parseFrom reads FROM <container> [[AS] alias]. The container name itself is
// ignored (the request path names the container); only the alias matters.
func (p *parser) parseFrom(q *Query) error {
	if p.isOp("(") {
		return unsupported("a subquery in FROM")
	}
	first, err := p.parseIdentifier("a container name or alias in FROM")
	if err != nil {
		return err
	}
	if p.isKeyword("IN") {
		return unsupported("FROM ... IN ... (iteration over an array)")
	}
	if p.isOp(".") || p.isOp("[") {
		return unsupported("a path expression in FROM")
	}
	q.hasFrom, q.container, q.alias = true, first, first
	if p.acceptKeyword("AS") {
		name, err := p.parseIdentifier("an alias after AS")
		if err != nil {
			return err
		}
		q.alias = name
	} else if t := p.peek(); t.kind == tokIdent {
		p.next()
		q.alias = t.text
	}
	if p.isKeyword("JOIN") {
		return unsupported("JOIN")
	}
	return nil
}

// enter and leave bound the recursion depth of expression parsing.
func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxNesting {
		return errorf("the query is nested too deeply (more than %d levels)", MaxNesting)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseExpr parses a full scalar expression. Precedence, loosest first:
// ?? ; OR ; AND ; [NOT] IN / [NOT] BETWEEN / [NOT] LIKE ; || ; | ; ^ ; & ;
// = != <> ; < <= > >= ; + - ; * / % ; unary - + ~ NOT ; postfix . [] .
// This follows the service grammar, including NOT binding tighter than the
// comparisons.
func (p *parser) parseExpr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	l, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("??"):
			p.next()
			r, err := p.parseOr()
			if err != nil {
				return nil, err
			}
			l = &coalesceExpr{l: l, r: r}
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer p.leave()
		case p.isOp("?"):
			return nil, unsupported("the conditional operator ?:")
		default:
			return l, nil
		}
	}
}

func (p *parser) parseOr() (expr, error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	if !p.isKeyword("OR") {
		return first, nil
	}
	terms := []expr{first}
	for p.acceptKeyword("OR") {
		t, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	return &logicalExpr{op: "OR", terms: terms}, nil
}

func (p *parser) parseAnd() (expr, error) {
	first, err := p.parsePredicate()
	if err != nil {
		return nil, err
	}
	if !p.isKeyword("AND") {
		return first, nil
	}
	terms := []expr{first}
	for p.acceptKeyword("AND") {
		t, err := p.parsePredicate()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	return &logicalExpr{op: "AND", terms: terms}, nil
}

// parsePredicate handles the postfix predicates IN, BETWEEN and LIKE, which
// sit between the logical operators and the binary operators.
func (p *parser) parsePredicate() (expr, error) {
	x, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	not := false
	if p.isKeyword("NOT") && p.peekAt(1).kind == tokKeyword {
		switch p.peekAt(1).text {
		case "IN", "BETWEEN", "LIKE":
			p.next()
			not = true
		}
	}
	switch {
	case p.acceptKeyword("IN"):
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		if p.isKeyword("SELECT") {
			return nil, unsupported("a subquery in IN")
		}
		var list []expr
		for {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			list = append(list, e)
			if !p.acceptOp(",") {
				break
			}
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return &inExpr{x: x, list: list, not: not}, nil
	case p.acceptKeyword("BETWEEN"):
		lo, err := p.parseBinary(0)
		if err != nil {
			return nil, err
		}
		if err := p.expectKeyword("AND"); err != nil {
			return nil, err
		}
		hi, err := p.parseBinary(0)
		if err != nil {
			return nil, err
		}
		return &betweenExpr{x: x, lo: lo, hi: hi, not: not}, nil
	case p.isKeyword("LIKE"):
		return nil, unsupported("LIKE")
	}
	return x, nil
}

// binaryLevels lists the binary operators from loosest to tightest binding.
var binaryLevels = [][]string{
	{"||"},
	{"|"},
	{"^"},
	{"&"},
	{"=", "!=", "<>"},
	{"<", "<=", ">", ">="},
	{"<<", ">>", ">>>"},
	{"+", "-"},
	{"*", "/", "%"},
}

// parseBinary parses left-associative binary operators at precedence level
// and above.
func (p *parser) parseBinary(level int) (expr, error) {
	if level >= len(binaryLevels) {
		return p.parseUnary()
	}
	l, err := p.parseBinary(level + 1)
	if err != nil {
		return nil, err
	}
	entered := 0
	defer func() { p.depth -= entered }()
	for {
		t := p.peek()
		if t.kind != tokOp || !contains(binaryLevels[level], t.text) {
			return l, nil
		}
		p.next()
		switch t.text {
		case "|", "^", "&", "<<", ">>", ">>>":
			return nil, unsupported("the bitwise operator " + t.text)
		}
		r, err := p.parseBinary(level + 1)
		if err != nil {
			return nil, err
		}
		op := t.text
		if op == "<>" {
			op = "!="
		}
		l = &binaryExpr{op: op, l: l, r: r}
		// A left-deep chain nests one level per operator.
		entered++
		if err := p.enter(); err != nil {
			return nil, err
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) parseUnary() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.peek()
	switch {
	case t.kind == tokOp && (t.text == "-" || t.text == "+"):
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		// Fold signs into numeric literals so -5 is a constant.
		if lit, ok := x.(*literalExpr); ok {
			if f, ok := lit.val.(float64); ok {
				if t.text == "-" {
					f = -f
				}
				return &literalExpr{val: f}, nil
			}
		}
		return &unaryExpr{op: t.text, x: x}, nil
	case t.kind == tokOp && t.text == "~":
		return nil, unsupported("the bitwise operator ~")
	case t.kind == tokKeyword && t.text == "NOT":
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{op: "NOT", x: x}, nil
	}
	return p.parsePostfix()
}

// parsePostfix parses a primary expression followed by .name and [index]
// accessors.
func (p *parser) parsePostfix() (expr, error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	entered := 0
	defer func() { p.depth -= entered }()
	for {
		switch {
		case p.acceptOp("."):
			t := p.peek()
			switch t.kind {
			case tokIdent:
				p.next()
				x = &memberExpr{x: x, name: t.text}
			case tokKeyword:
				return nil, p.syntaxError(t.text + " is a reserved word; write [\"" + strings.ToLower(t.text) + "\"] (with the property's exact case) to access a property with that name")
			default:
				return nil, p.syntaxError("expected a property name after '.'")
			}
		case p.acceptOp("["):
			idx, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp("]"); err != nil {
				return nil, err
			}
			if lit, ok := idx.(*literalExpr); ok {
				if s, ok := lit.val.(string); ok {
					x = &memberExpr{x: x, name: s, bracket: true}
					break
				}
			}
			x = &indexExpr{x: x, index: idx}
		default:
			return x, nil
		}
		entered++
		if err := p.enter(); err != nil {
			return nil, err
		}
	}
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.peek()
	switch t.kind {
	case tokNumber:
		p.next()
		return &literalExpr{val: t.num}, nil
	case tokString:
		p.next()
		return &literalExpr{val: t.str}, nil
	case tokParam:
		p.next()
		p.q.addParam(t.text)
		return &paramExpr{name: t.text}, nil
	case tokKeyword:
		switch t.text {
		case "TRUE":
			p.next()
			return &literalExpr{val: true}, nil
		case "FALSE":
			p.next()
			return &literalExpr{val: false}, nil
		case "NULL":
			p.next()
			return &literalExpr{val: nil}, nil
		case "UNDEFINED":
			p.next()
			return &literalExpr{val: undefined}, nil
		case "UDF":
			return nil, unsupported("user-defined functions (udf.)")
		case "EXISTS":
			return nil, unsupported("EXISTS subqueries")
		case "ARRAY":
			return nil, unsupported("ARRAY subqueries")
		case "SELECT":
			return nil, unsupported("subqueries")
		}
		return nil, p.syntaxError("unexpected keyword")
	case tokIdent:
		p.next()
		if p.isOp("(") {
			return p.parseCall(t)
		}
		return &rootExpr{name: t.text}, nil
	case tokOp:
		switch t.text {
		case "(":
			p.next()
			if p.isKeyword("SELECT") {
				return nil, unsupported("subqueries")
			}
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return e, nil
		case "[":
			p.next()
			var elems []expr
			if !p.isOp("]") {
				for {
					e, err := p.parseExpr()
					if err != nil {
						return nil, err
					}
					elems = append(elems, e)
					if !p.acceptOp(",") {
						break
					}
				}
			}
			if err := p.expectOp("]"); err != nil {
				return nil, err
			}
			return &arrayExpr{elems: elems}, nil
		case "{":
			return p.parseObject()
		}
	}
	return nil, p.syntaxError("expected an expression")
}

// parseObject reads {name: expr, "name": expr, ...}.
func (p *parser) parseObject() (expr, error) {
	p.next() // {
	obj := &objectExpr{}
	if !p.isOp("}") {
		for {
			t := p.peek()
			var key string
			switch t.kind {
			case tokIdent:
				key = t.text
			case tokString:
				key = t.str
			default:
				return nil, p.syntaxError("expected a property name in an object literal")
			}
			p.next()
			if contains(obj.keys, key) {
				return nil, errorf("the property name %q is specified more than once in an object literal", key)
			}
			if err := p.expectOp(":"); err != nil {
				return nil, err
			}
			v, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			obj.keys = append(obj.keys, key)
			obj.vals = append(obj.vals, v)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if err := p.expectOp("}"); err != nil {
		return nil, err
	}
	return obj, nil
}

// parseCall reads the arguments of a function call and resolves the function
// by name (case-insensitively, as system functions are).
func (p *parser) parseCall(name token) (expr, error) {
	p.next() // (
	upper := strings.ToUpper(name.text)
	if upper == "COUNT" && p.isOp("*") {
		return nil, p.syntaxError("COUNT(*) is not valid; use COUNT(1)")
	}
	var args []expr
	if !p.isOp(")") {
		for {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			args = append(args, e)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if aggregateNames[upper] {
		if len(args) != 1 {
			return nil, errorf("the aggregate function %s takes exactly 1 argument, got %d", upper, len(args))
		}
		return &aggregateExpr{name: upper, spelled: name.text, arg: args[0]}, nil
	}
	fn, ok := builtins[upper]
	if !ok {
		if knownUnsupportedFunctions[upper] {
			return nil, unsupported("the system function " + upper)
		}
		return nil, errorf("'%s' is not a recognized built-in function name", name.text)
	}
	if len(args) < fn.minArgs || len(args) > fn.maxArgs {
		return nil, errorf("the function %s takes %s, got %d", upper, fn.arity(), len(args))
	}
	return &callExpr{name: upper, spelled: name.text, fn: fn, args: args}, nil
}
