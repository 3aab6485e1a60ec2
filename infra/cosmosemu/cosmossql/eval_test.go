package cosmossql_test

import (
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"

	"orderctx/infra/cosmosemu/cosmossql"
)

// evalCases run over fixtureJSON. want is the expected result array as JSON.
var evalCases = []struct {
	name   string
	query  string
	params map[string]any
	want   string
}{
	// FROM forms and SELECT shapes.
	{"star", `SELECT * FROM c WHERE c.id = '6'`, nil, `[{"id":"6","pk":"c","n":-1}]`},
	{"root alias", `SELECT * FROM root r WHERE r.id = "6"`, nil, `[{"id":"6","pk":"c","n":-1}]`},
	{"container and alias", `SELECT * FROM docs c WHERE c.id = '6'`, nil, `[{"id":"6","pk":"c","n":-1}]`},
	{"container AS alias", `SELECT * FROM docs AS d WHERE d.id = '6'`, nil, `[{"id":"6","pk":"c","n":-1}]`},
	{"value ids", `select value c.id from c`, nil, `["1","2","3","4","5","6","7","8"]`},
	{"projection last segment", `SELECT c.id, c.nested.w FROM c WHERE c.pk = 'b'`, nil, `[{"id":"3","w":"q"},{"id":"4"}]`},
	{"projection aliases", `SELECT c.id AS ident, c.n num FROM c WHERE c.id IN ('1','6')`, nil, `[{"ident":"1","num":1},{"ident":"6","num":-1}]`},
	{"bracket reserved name", `SELECT c["value"] FROM c WHERE c.id = '8'`, nil, `[{"value":"kw"}]`},
	{"array index then property", `SELECT VALUE c.items[0].name FROM c`, nil, `["one"]`},
	{"array index is unnamed", `SELECT c.tags[1] FROM c WHERE c.id = '1'`, nil, `[{"$1":"y"}]`},
	{"generated names count only unnamed", `SELECT c.id, c.n + 1, UPPER(c.s) FROM c WHERE c.id = '1'`, nil, `[{"id":"1","$1":2,"$2":"APPLE"}]`},
	{"select alias itself", `SELECT c FROM c WHERE c.id = '6'`, nil, `[{"c":{"id":"6","pk":"c","n":-1}}]`},
	{"value skips undefined", `SELECT VALUE c.b FROM c`, nil, `[true,false,true]`},
	{"projection of missing gives empty object", `SELECT c.b FROM c WHERE c.id = '8'`, nil, `[{}]`},
	{"no FROM", `SELECT 1 + 2 AS x, 'a' || 'b'`, nil, `[{"x":3,"$1":"ab"}]`},
	{"array literal keeps missing as null", `SELECT VALUE [c.n, c.missing] FROM c WHERE c.id = '1'`, nil, `[[1,null]]`},
	{"object literal omits missing", `SELECT VALUE {id: c.id, "w": c.nested.w, m: c.missing} FROM c WHERE c.pk = 'b'`, nil, `[{"id":"3","w":"q"},{"id":"4"}]`},
	{"empty literals", `SELECT VALUE [[], {}]`, nil, `[[[],{}]]`},
	{"line comment", "SELECT VALUE c.id -- the id\nFROM c WHERE c.id = '1' -- done", nil, `["1"]`},
	{"keywords any case", `sElEcT VaLuE C.id FrOm C wHeRe C.id = '1'`, nil, `["1"]`},

	// Parameters.
	{"params in filter", `SELECT VALUE c.id FROM c WHERE c.pk = @pk AND c.n > @min`, map[string]any{"@pk": "a", "@min": 1.0}, `["2"]`},
	{"param as property name", `SELECT VALUE c[@prop] FROM c WHERE c.id = '1'`, map[string]any{"@prop": "s"}, `["apple"]`},
	{"param array", `SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(@ids, c.id)`, map[string]any{"@ids": []any{"2", "5"}}, `["2","5"]`},
	{"param Go int", `SELECT VALUE c.id FROM c WHERE c.n = @n`, map[string]any{"@n": 3}, `["3"]`},
	{"param object member", `SELECT VALUE @o.a`, map[string]any{"@o": map[string]any{"a": 5}}, `[5]`},
	{"param null", `SELECT VALUE c.id FROM c WHERE c.mixed = @p`, map[string]any{"@p": nil}, `["4"]`},
	{"param json.Number", `SELECT VALUE c.id FROM c WHERE c.n = @n`, map[string]any{"@n": json.Number("4.5")}, `["4"]`},
	{"param typed slice", `SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(@ns, c.n)`, map[string]any{"@ns": []int{1, 2}}, `["1","2"]`},
	{"param struct", `SELECT VALUE @s.Name`, map[string]any{"@s": struct{ Name string }{"x"}}, `["x"]`},
	{"param integer kinds", `SELECT VALUE [@a, @b, @c, @d, @e, @f, @g, @h, @i, @j, @k]`, map[string]any{
		"@a": int8(1), "@b": int16(2), "@c": int32(3), "@d": int64(4), "@e": uint(5), "@f": uint8(6),
		"@g": uint16(7), "@h": uint32(8), "@i": uint64(9), "@j": float32(1.5), "@k": (*int)(nil),
	}, `[[1,2,3,4,5,6,7,8,9,1.5,null]]`},
	{"param without JSON form is undefined", `SELECT VALUE [@nan, @ch, @bad]`, map[string]any{
		"@nan": math.NaN(), "@ch": make(chan int), "@bad": json.Number("x"),
	}, `[[null,null,null]]`},
	{"param containers drop non-JSON values", `SELECT VALUE [@m, @l]`, map[string]any{
		"@m": map[string]any{"a": math.Inf(1), "b": 1}, "@l": []any{math.NaN(), 2},
	}, `[[{"b":1},[null,2]]]`},
	{"unused param is fine", `SELECT VALUE 1`, map[string]any{"@unused": 1}, `[1]`},

	// Literals and arithmetic.
	{"string escapes", `SELECT VALUE 'it\'s' || "\"q\"" || '\u00e9\n' || "\ud83d\ude00"`, nil, `["it's\"q\"é\n😀"]`},
	{"numbers", `SELECT VALUE [1.5e2, .5, -3, 7 % 4, -7 % 4, 10 / 4, 2 * -3, +4, - -2]`, nil, `[[150,0.5,-3,3,-3,2.5,-6,4,2]]`},
	{"precedence mul over add", `SELECT VALUE 1 + 2 * 3`, nil, `[7]`},
	{"parentheses", `SELECT VALUE (1 + 2) * 3`, nil, `[9]`},
	{"left associative", `SELECT VALUE 10 - 4 - 3`, nil, `[3]`},
	{"concat binds loosest", `SELECT VALUE 'a' || 'b' = 'b'`, nil, `[]`},
	{"concat non string undefined", `SELECT VALUE c.s || c.n FROM c WHERE c.id = '1'`, nil, `[]`},
	{"unary minus non number undefined", `SELECT VALUE -c.n FROM c WHERE c.id IN ('1','7')`, nil, `[-1]`},
	{"arithmetic on string undefined", `SELECT VALUE c.n + 1 FROM c WHERE c.id = '7'`, nil, `[]`},
	{"overflow is undefined", `SELECT VALUE 1e308 * 10`, nil, `[]`},
	{"undefined literal", `SELECT VALUE [undefined, null]`, nil, `[[null,null]]`},

	// Comparison and three-valued logic.
	{"comparisons", `SELECT VALUE [1 < 2, 2 <= 2, 'a' < 'b', 'B' < 'a', false < true, null = null, 1 = 1.0, 1 != 2, 1 <> 1, null <= null]`, nil,
		`[[true,true,true,true,true,true,true,true,false,true]]`},
	{"cross type and structured", `SELECT VALUE {a: 1 = '1', b: 1 < 'a', c: null < 1, d: [1, {x: 2}] = [1, {x: 2}], e: {x: 1} = {x: 1}, f: [1] < [2], g: c.missing = 1, h: [1] != [2], i: {x: 1} = {x: 2}} FROM c WHERE c.id = '1'`, nil,
		`[{"d":true,"e":true,"h":true,"i":false}]`},
	{"number filter skips strings", `SELECT VALUE c.id FROM c WHERE c.n > 2`, nil, `["3","4"]`},
	{"string filter skips numbers", `SELECT VALUE c.id FROM c WHERE c.n < 'z'`, nil, `["7"]`},
	{"NOT keeps only false", `SELECT VALUE c.id FROM c WHERE NOT (c.n > 2)`, nil, `["1","2","6"]`},
	{"NOT of boolean property", `SELECT VALUE c.id FROM c WHERE NOT c.b`, nil, `["2"]`},
	{"NOT binds tighter than =", `SELECT VALUE c.id FROM c WHERE NOT c.b = false`, nil, `["1","4"]`},
	{"truth tables", `SELECT VALUE [true AND undefined, false AND undefined, true OR undefined, false OR undefined, NOT undefined, 1 AND true, true AND true, false OR false]`, nil,
		`[[null,false,true,null,null,null,true,false]]`},
	{"OR filter", `SELECT VALUE c.id FROM c WHERE c.b = true OR c.n = 3`, nil, `["1","3","4"]`},
	{"AND binds tighter than OR", `SELECT VALUE c.id FROM c WHERE c.pk = 'd' OR c.pk = 'a' AND c.n = 2`, nil, `["2","8"]`},
	{"where non boolean", `SELECT VALUE c.id FROM c WHERE c.n`, nil, `[]`},
	{"IN", `SELECT VALUE c.id FROM c WHERE c.n IN (1, 3, '7')`, nil, `["1","3","7"]`},
	{"NOT IN", `SELECT VALUE c.id FROM c WHERE c.pk NOT IN ('a', 'b')`, nil, `["5","6","7","8"]`},
	{"NOT IN across types is undefined", `SELECT VALUE c.id FROM c WHERE c.n NOT IN (1, 2)`, nil, `["3","4","6"]`},
	{"IN objects", `SELECT VALUE c.id FROM c WHERE c.mixed IN ({o: 1}, [1, 2])`, nil, `["5","8"]`},
	{"BETWEEN", `SELECT VALUE c.id FROM c WHERE c.n BETWEEN 1 AND 3`, nil, `["1","2","3"]`},
	{"NOT BETWEEN", `SELECT VALUE c.id FROM c WHERE c.n NOT BETWEEN 1 AND 3`, nil, `["4","6"]`},
	{"BETWEEN strings", `SELECT VALUE c.id FROM c WHERE c.s BETWEEN 'a' AND 'b'`, nil, `["1","4"]`},
	{"BETWEEN then AND", `SELECT VALUE c.id FROM c WHERE c.n BETWEEN 1 AND 3 AND c.pk = 'a'`, nil, `["1","2"]`},
	{"BETWEEN in projection", `SELECT (c.n BETWEEN 0 AND 2) AS small FROM c WHERE c.pk = 'a' OR c.id = '5'`, nil, `[{"small":true},{"small":true},{}]`},
	{"coalesce", `SELECT VALUE c.b ?? 'none' FROM c WHERE c.pk = 'a' OR c.id = '5'`, nil, `[true,false,"none"]`},

	// Functions.
	{"type checks", `SELECT VALUE [IS_DEFINED(c.b), IS_NULL(c.nul), IS_STRING(c.s), IS_NUMBER(c.n), IS_BOOL(c.b), IS_ARRAY(c.tags), IS_OBJECT(c.nested), IS_PRIMITIVE(c.nested), IS_NULL(c.missing), IS_DEFINED(c.missing)] FROM c WHERE c.id = '1'`, nil,
		`[[true,true,true,true,true,true,true,false,false,false]]`},
	{"IS_PRIMITIVE", `SELECT VALUE [IS_PRIMITIVE(c.s), IS_PRIMITIVE(c.nul), IS_PRIMITIVE(c.b), IS_PRIMITIVE(c.n), IS_PRIMITIVE(c.tags), IS_PRIMITIVE(c.missing)] FROM c WHERE c.id = '1'`, nil,
		`[[true,true,true,true,false,false]]`},
	{"LENGTH non string", `SELECT VALUE LENGTH(1)`, nil, `[]`},
	{"unary plus", `SELECT VALUE [+c.n, +c.s] FROM c WHERE c.id = '1'`, nil, `[[1,null]]`},
	{"NOT IS_DEFINED", `SELECT VALUE c.id FROM c WHERE NOT IS_DEFINED(c.n)`, nil, `["5","8"]`},
	{"IS_NULL filter", `SELECT VALUE c.id FROM c WHERE IS_NULL(c.mixed)`, nil, `["4"]`},
	{"ARRAY_CONTAINS", `SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.tags, 'y')`, nil, `["1","2"]`},
	{"ARRAY_CONTAINS partial", `SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.items, {k: 1}, true)`, nil, `["1"]`},
	{"ARRAY_CONTAINS full needs whole object", `SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.items, {k: 1})`, nil, `[]`},
	{"ARRAY_CONTAINS full exact", `SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.items, {k: 2}, false)`, nil, `["1"]`},
	{"ARRAY_CONTAINS non array", `SELECT VALUE ARRAY_CONTAINS(c.s, 'a') FROM c WHERE c.id = '1'`, nil, `[]`},
	{"ARRAY_LENGTH", `SELECT VALUE ARRAY_LENGTH(c.tags) FROM c`, nil, `[2,1,0]`},
	{"STARTSWITH", `SELECT VALUE c.id FROM c WHERE STARTSWITH(c.s, 'app')`, nil, `["1","4"]`},
	{"STARTSWITH case sensitive", `SELECT VALUE c.id FROM c WHERE STARTSWITH(c.s, 'b')`, nil, `[]`},
	{"STARTSWITH ignore case", `SELECT VALUE c.id FROM c WHERE STARTSWITH(c.s, 'b', true)`, nil, `["2"]`},
	{"ENDSWITH ignore case", `SELECT VALUE c.id FROM c WHERE ENDSWITH(c.s, 'E', true)`, nil, `["1","4","5"]`},
	{"CONTAINS", `SELECT VALUE c.id FROM c WHERE CONTAINS(c.s, 'an')`, nil, `["2"]`},
	{"CONTAINS non string", `SELECT VALUE CONTAINS(c.n, '1') FROM c WHERE c.id = '1'`, nil, `[]`},
	{"string functions", `SELECT VALUE [LOWER(c.s), UPPER(c.s), LENGTH(c.s), CONCAT(c.s, '-', c.id), SUBSTRING(c.s, 1, 3), SUBSTRING(c.s, 3, 100), SUBSTRING(c.s, 0, 0), SUBSTRING(c.s, 9, 1), LENGTH('héllo'), SUBSTRING('héllo', 1, 2)] FROM c WHERE c.id = '2'`, nil,
		`[["banana","BANANA",6,"Banana-2","ana","ana","","",5,"él"]]`},
	{"CONCAT non string", `SELECT VALUE CONCAT('a', 1)`, nil, `[]`},
	{"math functions", `SELECT VALUE [ABS(-2.5), FLOOR(-2.5), CEILING(-2.5), FLOOR(2.5), CEILING(2.5), ABS('x')]`, nil, `[[2.5,-3,-2,2,3,null]]`},
	{"function names any case", `SELECT VALUE upper('a')`, nil, `["A"]`},

	// Aggregates.
	{"COUNT", `SELECT COUNT(1) FROM c`, nil, `[{"$1":8}]`},
	{"VALUE COUNT", `SELECT VALUE COUNT(1) FROM c`, nil, `[8]`},
	{"COUNT skips undefined", `SELECT VALUE COUNT(c.n) FROM c`, nil, `[6]`},
	{"SUM with a string is undefined", `SELECT VALUE SUM(c.n) FROM c`, nil, `[]`},
	{"SUM", `SELECT VALUE SUM(c.n) FROM c WHERE IS_NUMBER(c.n)`, nil, `[9.5]`},
	{"AVG", `SELECT VALUE AVG(c.n) FROM c WHERE IS_NUMBER(c.n)`, nil, `[1.9]`},
	{"MIN MAX across types", `SELECT MIN(c.n) AS lo, MAX(c.n) AS hi FROM c`, nil, `[{"lo":-1,"hi":"7"}]`},
	{"MAX with objects is undefined", `SELECT VALUE MAX(c.mixed) FROM c`, nil, `[]`},
	{"MIN booleans", `SELECT VALUE MIN(c.b) FROM c`, nil, `[false]`},
	{"MIN null lowest", `SELECT VALUE MIN(c.mixed) FROM c WHERE c.id IN ('1','2','3','4')`, nil, `[null]`},
	{"empty COUNT", `SELECT VALUE COUNT(1) FROM c WHERE c.id = 'none'`, nil, `[0]`},
	{"empty SUM", `SELECT VALUE SUM(c.n) FROM c WHERE c.id = 'none'`, nil, `[0]`},
	{"empty AVG", `SELECT VALUE AVG(c.n) FROM c WHERE c.id = 'none'`, nil, `[]`},
	{"empty MIN", `SELECT VALUE MIN(c.n) FROM c WHERE false`, nil, `[]`},
	{"empty MAX object", `SELECT MAX(c.n) FROM c WHERE false`, nil, `[{}]`},
	{"empty several", `SELECT COUNT(1) AS n, SUM(c.n) AS s, AVG(c.n) AS a FROM c WHERE false`, nil, `[{"n":0,"s":0}]`},
	{"aggregate in expression", `SELECT VALUE COUNT(1) * 2 FROM c`, nil, `[16]`},
	{"aggregate with constant", `SELECT COUNT(1) AS n, 'x' AS k FROM c`, nil, `[{"n":8,"k":"x"}]`},
	{"aggregate without FROM", `SELECT VALUE COUNT(1)`, nil, `[1]`},
	{"TOP 0 aggregate", `SELECT TOP 0 VALUE COUNT(1) FROM c`, nil, `[]`},

	// GROUP BY.
	{"GROUP BY count", `SELECT c.pk, COUNT(1) AS n FROM c GROUP BY c.pk`, nil, `[{"pk":"a","n":2},{"pk":"b","n":2},{"pk":"c","n":3},{"pk":"d","n":1}]`},
	{"GROUP BY value", `SELECT VALUE c.pk FROM c GROUP BY c.pk`, nil, `["a","b","c","d"]`},
	{"GROUP BY undefined group", `SELECT c.b, COUNT(1) AS n FROM c GROUP BY c.b`, nil, `[{"b":true,"n":2},{"b":false,"n":1},{"n":5}]`},
	{"GROUP BY function", `SELECT UPPER(c.pk) AS p, SUM(c.n) AS total FROM c WHERE IS_NUMBER(c.n) GROUP BY UPPER(c.pk)`, nil,
		`[{"p":"A","total":3},{"p":"B","total":7.5},{"p":"C","total":-1}]`},
	{"GROUP BY two keys", `SELECT c.pk, c.b, COUNT(1) AS n FROM c WHERE c.pk IN ('a', 'b') GROUP BY c.pk, c.b`, nil,
		`[{"pk":"a","b":true,"n":1},{"pk":"a","b":false,"n":1},{"pk":"b","n":1},{"pk":"b","b":true,"n":1}]`},
	{"GROUP BY literal containers", `SELECT [c.pk, {p: c.pk}] AS k, COUNT(1) AS n FROM c WHERE c.pk IN ('a','d') GROUP BY [c.pk, {p: c.pk}]`, nil,
		`[{"k":["a",{"p":"a"}],"n":2},{"k":["d",{"p":"d"}],"n":1}]`},
	{"GROUP BY comparison", `SELECT (c.n > 2) AS big, COUNT(1) AS n FROM c WHERE IS_NUMBER(c.n) GROUP BY (c.n > 2)`, nil,
		`[{"big":false,"n":3},{"big":true,"n":2}]`},
	{"GROUP BY unary and coalesce", `SELECT VALUE [NOT c.b, c.b ?? 0, -c.n] FROM c WHERE c.id IN ('1','2','3','4') GROUP BY NOT c.b, c.b ?? 0, -c.n`, nil,
		`[[false,true,-1],[true,false,-2],[null,0,-3],[false,true,-4.5]]`},
	{"GROUP BY IN and BETWEEN", `SELECT VALUE [c.pk IN ('a'), c.n BETWEEN 1 AND 2, c.n NOT BETWEEN 1 AND 2, c.pk NOT IN ('a')] FROM c GROUP BY c.pk IN ('a'), c.n BETWEEN 1 AND 2, c.n NOT BETWEEN 1 AND 2, c.pk NOT IN ('a')`, nil,
		`[[true,true,false,false],[false,false,true,true],[false,null,null,true]]`},
	{"GROUP BY index and param", `SELECT VALUE [c.tags[0], c[@prop]] FROM c WHERE c.pk = 'a' GROUP BY c.tags[0], c[@prop]`, map[string]any{"@prop": "pk"},
		`[["x","a"],["y","a"]]`},
	{"GROUP BY function with literals", `SELECT VALUE CONCAT(c.pk, '-', 'x') FROM c WHERE c.pk = 'a' GROUP BY CONCAT(c.pk, '-', 'x')`, nil, `["a-x"]`},
	{"GROUP BY literal null true", `SELECT VALUE [c.nul = null, c.b = true] FROM c WHERE c.id IN ('1','2') GROUP BY c.nul = null, c.b = true`, nil,
		`[[true,true],[null,false]]`},
	{"GROUP BY with OFFSET LIMIT", `SELECT VALUE c.pk FROM c GROUP BY c.pk OFFSET 1 LIMIT 2`, nil, `["b","c"]`},
	{"GROUP BY nothing matched", `SELECT c.pk, COUNT(1) AS n FROM c WHERE false GROUP BY c.pk`, nil, `[]`},

	// DISTINCT.
	{"DISTINCT VALUE", `SELECT DISTINCT VALUE c.pk FROM c`, nil, `["a","b","c","d"]`},
	{"DISTINCT with missing", `SELECT DISTINCT c.b FROM c`, nil, `[{"b":true},{"b":false},{}]`},
	{"DISTINCT ordered", `SELECT DISTINCT VALUE c.pk FROM c ORDER BY c.pk DESC`, nil, `["d","c","b","a"]`},
	{"DISTINCT objects", `SELECT DISTINCT VALUE {p: c.pk, t: [1]} FROM c WHERE c.pk IN ('a','b')`, nil, `[{"p":"a","t":[1]},{"p":"b","t":[1]}]`},
	{"DISTINCT numbers", `SELECT DISTINCT VALUE c.n * 0 FROM c WHERE IS_NUMBER(c.n)`, nil, `[0]`},
	{"DISTINCT TOP", `SELECT DISTINCT TOP 2 VALUE c.pk FROM c`, nil, `["a","b"]`},

	// ORDER BY.
	{"ORDER BY type order", `SELECT VALUE c.id FROM c ORDER BY c.mixed`, nil, `["6","4","7","3","1","2","5","8"]`},
	{"ORDER BY type order desc", `SELECT VALUE c.id FROM c ORDER BY c.mixed DESC`, nil, `["8","5","2","1","3","7","4","6"]`},
	{"ORDER BY numbers desc", `SELECT VALUE c.id FROM c WHERE IS_NUMBER(c.n) ORDER BY c.n DESC`, nil, `["4","3","2","1","6"]`},
	{"ORDER BY two keys", `SELECT VALUE c.id FROM c ORDER BY c.pk DESC, c.id ASC`, nil, `["8","5","6","7","3","4","1","2"]`},
	{"ORDER BY ordinal strings", `SELECT VALUE c.s FROM c WHERE IS_STRING(c.s) ORDER BY c.s`, nil, `["Banana","Date","apple","apple pie","cherry"]`},
	{"ORDER BY bracket and index", `SELECT VALUE c.id FROM c WHERE IS_DEFINED(c.tags) ORDER BY c["tags"][0] DESC`, nil, `["2","1","3"]`},
	{"ORDER BY arrays", `SELECT VALUE c.id FROM c WHERE IS_DEFINED(c.items) ORDER BY c.items`, nil, `["2","1"]`},
	{"ORDER BY objects", `SELECT VALUE c.id FROM c WHERE IS_DEFINED(c.nested) ORDER BY c.nested DESC`, nil, `["3","2","1"]`},
	{"UTF-16 ordinal string order", `SELECT VALUE ['\uFF21' < '\ud83d\ude00', 'a' < 'ab', 'ab' < 'a', 'a' = 'a']`, nil, `[[false,true,false,true]]`},
	{"ORDER BY stable", `SELECT VALUE c.id FROM c ORDER BY c.pk`, nil, `["1","2","3","4","5","6","7","8"]`},
	{"ORDER BY projected star", `SELECT * FROM c WHERE c.n < 2 ORDER BY c.n`, nil, `[{"id":"6","pk":"c","n":-1},` +
		`{"id":"1","pk":"a","n":1,"s":"apple","b":true,"tags":["x","y"],"nested":{"v":10,"w":"p"},"items":[{"k":1,"name":"one"},{"k":2}],"nul":null,"mixed":1}]`},

	// TOP and OFFSET LIMIT.
	{"TOP ordered", `SELECT TOP 2 VALUE c.id FROM c ORDER BY c.id DESC`, nil, `["8","7"]`},
	{"TOP parameter", `SELECT TOP @n VALUE c.id FROM c`, map[string]any{"@n": 3.0}, `["1","2","3"]`},
	{"TOP 0", `SELECT TOP 0 VALUE c.id FROM c`, nil, `[]`},
	{"TOP larger than results", `SELECT TOP 100 VALUE c.id FROM c WHERE c.pk = 'a'`, nil, `["1","2"]`},
	{"TOP counts results not documents", `SELECT TOP 2 VALUE c.b FROM c`, nil, `[true,false]`},
	{"TOP star stops early", `SELECT TOP 1 * FROM c WHERE c.pk = 'c'`, nil, `[{"id":"5","pk":"c","s":"Date","mixed":[1,2]}]`},
	{"OFFSET LIMIT", `SELECT VALUE c.id FROM c ORDER BY c.id OFFSET 2 LIMIT 3`, nil, `["3","4","5"]`},
	{"OFFSET near end", `SELECT VALUE c.id FROM c OFFSET 7 LIMIT 5`, nil, `["8"]`},
	{"OFFSET past end", `SELECT VALUE c.id FROM c OFFSET 10 LIMIT 1`, nil, `[]`},
	{"LIMIT 0", `SELECT VALUE c.id FROM c OFFSET 0 LIMIT 0`, nil, `[]`},
	{"OFFSET LIMIT parameters", `SELECT VALUE c.id FROM c OFFSET @o LIMIT @l`, map[string]any{"@o": 1, "@l": 2}, `["2","3"]`},
	{"OFFSET LIMIT with filter", `SELECT c.id FROM c WHERE c.pk = 'c' OFFSET 1 LIMIT 1`, nil, `[{"id":"6"}]`},
}

func TestRun(t *testing.T) {
	t.Parallel()
	for _, tc := range evalCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := runQuery(t, tc.query, tc.params)
			if err != nil {
				t.Fatalf("%s: unexpected error: %v", tc.query, err)
			}
			if want := canonicalJSON(t, tc.want); got != want {
				t.Errorf("%s\n got: %s\nwant: %s", tc.query, got, want)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		query  string
		params map[string]any
		want   string // substring of the message
	}{
		{"missing parameter", `SELECT * FROM c WHERE c.id = @id`, nil, "@id"},
		{"missing parameter in unused branch", `SELECT * FROM c WHERE true OR c.id = @id`, map[string]any{"@other": 1}, "@id"},
		{"TOP parameter negative", `SELECT TOP @n * FROM c`, map[string]any{"@n": -1}, "non-negative integer"},
		{"TOP parameter string", `SELECT TOP @n * FROM c`, map[string]any{"@n": "2"}, "non-negative integer"},
		{"TOP parameter fraction", `SELECT TOP @n * FROM c`, map[string]any{"@n": 1.5}, "non-negative integer"},
		{"LIMIT parameter missing", `SELECT * FROM c OFFSET 0 LIMIT @l`, nil, "@l"},
		{"division by zero", `SELECT VALUE c.n / 0 FROM c WHERE IS_NUMBER(c.n)`, nil, "division by zero"},
		{"modulo by zero", `SELECT VALUE 1 % 0`, nil, "division by zero"},
		{"division by zero in filter", `SELECT * FROM c WHERE c.n / (c.n - 1) > 0`, nil, "division by zero"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := runQuery(t, tc.query, tc.params)
			if err == nil {
				t.Fatalf("%s: expected an error containing %q", tc.query, tc.want)
			}
			qe := asQueryError(t, err)
			if !strings.Contains(qe.Message, tc.want) {
				t.Errorf("%s: message %q does not contain %q", tc.query, qe.Message, tc.want)
			}
		})
	}
}

// TestRunDoesNotMutate checks that Run leaves its inputs alone, which the
// server relies on when it runs the same stored documents concurrently.
func TestRunDoesNotMutate(t *testing.T) {
	t.Parallel()
	docs := fixtureDocs(t)
	q, err := cosmossql.Parse(`SELECT DISTINCT VALUE {id: c.id, n: c.n} FROM c ORDER BY c.mixed DESC OFFSET 1 LIMIT 4`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Run(docs, nil); err != nil {
		t.Fatal(err)
	}
	fresh := fixtureDocs(t)
	if canonicalJSON(t, mustJSON(t, docs)) != canonicalJSON(t, mustJSON(t, fresh)) {
		t.Fatal("Run modified its input documents")
	}
}

// TestConcurrentRun exercises one parsed Query from many goroutines; run
// with -race to check that Query is safe for concurrent use.
func TestConcurrentRun(t *testing.T) {
	t.Parallel()
	q, err := cosmossql.Parse(`SELECT c.pk, COUNT(1) AS n, MAX(c.n) AS hi FROM c WHERE c.id != @skip GROUP BY c.pk`)
	if err != nil {
		t.Fatal(err)
	}
	docs := fixtureDocs(t)
	want := ""
	var wg sync.WaitGroup
	results := make([]string, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := q.Run(docs, map[string]any{"@skip": "3"})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = mustJSON(t, res)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if i == 0 {
			want = r
		}
		if r != want {
			t.Fatalf("goroutine %d got %s, want %s", i, r, want)
		}
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	return marshal(t, v)
}
