package cosmossql_test

import (
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, query string }{
		{"star", `SELECT * FROM c`},
		{"lower case", `select * from c where c.id = 'x'`},
		{"container alias", `SELECT * FROM docs c`},
		{"container AS alias", `SELECT * FROM Families AS f WHERE f.id = "x"`},
		{"root", `SELECT * FROM root`},
		{"no FROM", `SELECT 1`},
		{"distinct top value", `SELECT DISTINCT TOP 5 VALUE c.a FROM c`},
		{"top parameter", `SELECT TOP @n * FROM c`},
		{"list with aliases", `SELECT c.a AS x, c.b y, c["c d"], c.e[0] FROM c`},
		{"nested literals", `SELECT VALUE {a: [1, {b: "c"}], "d e": null}`},
		{"all operators", `SELECT VALUE (1 + 2 - 3 * 4 / 5 % 6) || 'x' FROM c WHERE c.a = 1 AND c.b != 2 AND c.c <> 3 AND c.d < 4 AND c.e <= 5 AND c.f > 6 AND c.g >= 7 OR NOT c.h`},
		{"IN and BETWEEN", `SELECT * FROM c WHERE c.a IN (1, 'b', @c) AND c.d NOT IN (1) AND c.e BETWEEN 1 AND 2 AND c.f NOT BETWEEN @lo AND @hi`},
		{"coalesce", `SELECT VALUE c.a ?? c.b ?? 0 FROM c`},
		{"functions", `SELECT VALUE [IS_DEFINED(c.a), is_null(c.a), ARRAY_CONTAINS(c.t, {a: 1}, true), STARTSWITH(c.s, 'a', true), SUBSTRING(c.s, 0, 1), CONCAT('a', 'b', 'c')] FROM c`},
		{"aggregates", `SELECT COUNT(1) AS n, SUM(c.a), MIN(c.a) lo, MAX(c.a) hi, AVG(c.a) FROM c`},
		{"group by", `SELECT c.a, COUNT(1) FROM c GROUP BY c.a`},
		{"order by", `SELECT * FROM c ORDER BY c.a, c.b DESC, c["c"] ASC, c.d[0]`},
		{"offset limit", `SELECT * FROM c OFFSET 10 LIMIT @l`},
		{"comments", "SELECT * -- all\nFROM c -- container\n"},
		{"whitespace", "\tSELECT\r\n*\nFROM\tc\n"},
		{"case-sensitive literal names", `SELECT c.TRUE, c.Null FROM c`},
		{"numbers", `SELECT VALUE [0, 1.5, .5, 1e3, 1E-3, 2.e2]`},
		{"undefined literal", `SELECT VALUE undefined`},
		{"many ANDs stay flat", `SELECT * FROM c WHERE ` + strings.Repeat("c.a = 1 AND ", 3000) + "true"},
		{"long IN list", `SELECT * FROM c WHERE c.a IN (` + strings.Repeat("1, ", 5000) + "1)"},
		{"reserved word as alias via AS is an error free name", `SELECT c.a AS total FROM c`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := cosmossql.Parse(tc.query)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.query, err)
			}
			if q.String() != tc.query {
				t.Errorf("String() = %q, want the query text", q.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		query string
		want  string // substring of the message
	}{
		// Syntax.
		{"empty", ``, "empty"},
		{"blank", "  -- nothing\n", "empty"},
		{"not a select", `DELETE FROM c`, "must start with SELECT"},
		{"select alone", `SELECT`, "expected an expression"},
		{"trailing semicolon", `SELECT * FROM c;`, "trailing ';'"},
		{"block comment", `SELECT * FROM c /* x */`, "block comments"},
		{"unterminated string", `SELECT VALUE 'abc FROM c`, "unterminated"},
		{"bad escape", `SELECT VALUE 'a\x'`, "invalid escape"},
		{"bad unicode escape", `SELECT VALUE '\u12'`, "invalid \\u escape"},
		{"number out of range", `SELECT VALUE 1e999`, "out of range"},
		{"bad number", `SELECT VALUE 12abc`, "invalid number"},
		{"unexpected character", `SELECT VALUE c.n FROM c WHERE c.n = #`, "unexpected character"},
		{"bare at sign", `SELECT VALUE @ FROM c`, "parameter name"},
		{"SELECT VALUE star", `SELECT VALUE * FROM c`, "SELECT VALUE *"},
		{"star in list", `SELECT c.id, * FROM c`, "only item"},
		{"trailing tokens", `SELECT * FROM c c2 c3`, "unexpected token"},
		{"LIMIT without OFFSET", `SELECT * FROM c LIMIT 5`, "OFFSET"},
		{"OFFSET without LIMIT", `SELECT * FROM c OFFSET 5`, "expected LIMIT"},
		{"TOP negative", `SELECT TOP -1 * FROM c`, "TOP requires"},
		{"TOP fraction", `SELECT TOP 1.5 * FROM c`, "non-negative integer"},
		{"TOP too large", `SELECT TOP 3000000000 * FROM c`, "no larger than"},
		{"TOP expression", `SELECT TOP (1) * FROM c`, "TOP requires"},
		{"reserved word after dot", `SELECT c.value FROM c`, "reserved word"},
		{"reserved word as alias", `SELECT c.a AS value FROM c`, "reserved word"},
		{"missing close paren", `SELECT VALUE (1 + 2`, "expected ')'"},
		{"duplicate object key", `SELECT VALUE {a: 1, a: 2}`, "more than once"},
		{"COUNT star", `SELECT COUNT(*) FROM c`, "COUNT(*)"},
		{"upper-case TRUE is an identifier", `SELECT VALUE TRUE`, "identifier 'TRUE' could not be resolved"},
		{"missing AND in BETWEEN", `SELECT * FROM c WHERE c.a BETWEEN 1 OR 2`, "expected AND"},

		// Names and semantic checks.
		{"unknown alias", `SELECT * FROM c WHERE x.id = 1`, "identifier 'x' could not be resolved"},
		{"container name hidden by alias", `SELECT * FROM root r WHERE root.id = 1`, "identifier 'root' could not be resolved"},
		{"alias is case-sensitive", `SELECT * FROM c WHERE C.id = 1`, "identifier 'C' could not be resolved"},
		{"identifier without FROM", `SELECT c.id`, "identifier 'c' could not be resolved"},
		{"star without FROM", `SELECT *`, "FROM clause is omitted"},
		{"duplicate projection name", `SELECT c.id, c.nested.id FROM c`, "more than once"},
		{"duplicate alias", `SELECT c.a AS x, c.b AS x FROM c`, "more than once"},
		{"non-aggregated column", `SELECT c.a, COUNT(1) FROM c`, "not contained in an aggregate"},
		{"aggregate in WHERE", `SELECT * FROM c WHERE COUNT(1) > 1`, "only allowed in the SELECT clause"},
		{"aggregate in ORDER BY", `SELECT VALUE c.a FROM c ORDER BY MAX(c.a)`, "only allowed in the SELECT clause"},
		{"aggregate in GROUP BY", `SELECT VALUE 1 FROM c GROUP BY COUNT(1)`, "only allowed in the SELECT clause"},
		{"nested aggregate", `SELECT VALUE COUNT(MAX(c.n)) FROM c`, "cannot be nested"},
		{"aggregate arity", `SELECT VALUE SUM(c.n, 1) FROM c`, "exactly 1 argument"},
		{"function arity", `SELECT VALUE LOWER() FROM c`, "takes 1 argument"},
		{"function arity range", `SELECT VALUE STARTSWITH('a') FROM c`, "takes 2 to 3 arguments"},
		{"CONCAT arity", `SELECT VALUE CONCAT('a')`, "at least 2 arguments"},
		{"unknown function", `SELECT VALUE FOO(c.n) FROM c`, "'FOO' is not a recognized built-in function name"},
		{"star with aggregates", `SELECT * FROM c GROUP BY c.pk`, "'SELECT *' is not valid with aggregates"},
		{"group by without property", `SELECT VALUE 1 FROM c GROUP BY 1`, "property reference"},
		{"group by column not grouped", `SELECT c.a, c.b FROM c GROUP BY c.a`, "not contained in an aggregate"},
		{"group by root not grouped", `SELECT VALUE c FROM c GROUP BY c.a`, "not contained in an aggregate"},
		{"GROUP BY with ORDER BY", `SELECT c.pk FROM c GROUP BY c.pk ORDER BY c.pk`, "GROUP BY cannot be combined with ORDER BY"},
		{"ORDER BY expression", `SELECT * FROM c ORDER BY c.n + 1`, "ORDER BY supports only property paths"},
		{"ORDER BY alias alone", `SELECT * FROM c ORDER BY c`, "ORDER BY supports only property paths"},
		{"ORDER BY parameter index", `SELECT * FROM c ORDER BY c[@p]`, "ORDER BY supports only property paths"},

		// Valid Cosmos DB SQL outside the supported subset.
		{"JOIN", `SELECT * FROM c JOIN t IN c.tags`, "JOIN is not supported"},
		{"FROM IN", `SELECT * FROM t IN c.tags`, "FROM ... IN ... (iteration over an array) is not supported"},
		{"FROM path", `SELECT * FROM c.items`, "a path expression in FROM is not supported"},
		{"FROM subquery", `SELECT * FROM (SELECT * FROM c)`, "a subquery in FROM is not supported"},
		{"scalar subquery", `SELECT VALUE (SELECT VALUE 1)`, "subqueries is not supported"},
		{"IN subquery", `SELECT * FROM c WHERE c.a IN (SELECT VALUE 1)`, "a subquery in IN is not supported"},
		{"EXISTS", `SELECT * FROM c WHERE EXISTS(SELECT VALUE 1)`, "EXISTS subqueries is not supported"},
		{"ARRAY subquery", `SELECT ARRAY(SELECT VALUE 1) AS a FROM c`, "ARRAY subqueries is not supported"},
		{"LIKE", `SELECT * FROM c WHERE c.s LIKE 'a%'`, "LIKE is not supported"},
		{"NOT LIKE", `SELECT * FROM c WHERE c.s NOT LIKE 'a%'`, "LIKE is not supported"},
		{"conditional operator", `SELECT VALUE c.a ? 1 : 2 FROM c`, "conditional operator ?: is not supported"},
		{"bitwise and", `SELECT VALUE c.a & 1 FROM c`, "bitwise operator & is not supported"},
		{"bitwise or", `SELECT VALUE c.a | 1 FROM c`, "bitwise operator | is not supported"},
		{"shift", `SELECT VALUE c.a << 1 FROM c`, "bitwise operator << is not supported"},
		{"bitwise not", `SELECT VALUE ~c.a FROM c`, "bitwise operator ~ is not supported"},
		{"udf", `SELECT VALUE udf.f(c) FROM c`, "user-defined functions"},
		{"unsupported system function", `SELECT VALUE ROUND(c.n) FROM c`, "system function ROUND is not supported"},
		{"unsupported string function", `SELECT VALUE lTrim(c.s) FROM c`, "system function LTRIM is not supported"},
		{"ORDER BY RANK", `SELECT * FROM c ORDER BY RANK FullTextScore(c.s, 'a')`, "ORDER BY RANK is not supported"},
		{"TOP with OFFSET LIMIT", `SELECT TOP 1 * FROM c OFFSET 1 LIMIT 1`, "TOP together with OFFSET LIMIT is not supported"},
		{"ORDER BY with aggregate", `SELECT VALUE COUNT(1) FROM c ORDER BY c.id`, "ORDER BY together with aggregate functions is not supported"},

		// Limits.
		{"too long", `SELECT VALUE '` + strings.Repeat("a", cosmossql.MaxQueryLength) + `'`, "maximum"},
		{"deep parentheses", `SELECT VALUE ` + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), "nested too deeply"},
		{"deep unary", `SELECT VALUE ` + strings.Repeat("- ", 300) + "1", "nested too deeply"},
		{"double minus starts a comment", `SELECT VALUE --1`, "expected an expression"},
		{"deep NOT", `SELECT VALUE ` + strings.Repeat("NOT ", 300) + "true", "nested too deeply"},
		{"deep arrays", `SELECT VALUE ` + strings.Repeat("[", 300) + strings.Repeat("]", 300), "nested too deeply"},
		{"deep objects", `SELECT VALUE ` + strings.Repeat("{a:", 300) + "1" + strings.Repeat("}", 300), "nested too deeply"},
		{"long arithmetic chain", `SELECT VALUE 1` + strings.Repeat(" + 1", 300), "nested too deeply"},
		{"long member chain", `SELECT VALUE c` + strings.Repeat(".a", 300) + ` FROM c`, "nested too deeply"},
		{"long coalesce chain", `SELECT VALUE 1` + strings.Repeat(" ?? 1", 300), "nested too deeply"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := cosmossql.Parse(tc.query)
			if err == nil {
				t.Fatalf("Parse(%.80q) succeeded (%v), want an error containing %q", tc.query, q, tc.want)
			}
			qe := asQueryError(t, err)
			if !strings.Contains(qe.Message, tc.want) {
				t.Errorf("Parse(%.80q): message %q does not contain %q", tc.query, qe.Message, tc.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	e := &cosmossql.Error{Message: "boom"}
	if e.Error() != "boom" {
		t.Fatalf("Error() = %q", e.Error())
	}
}
