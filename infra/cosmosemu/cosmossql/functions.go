package cosmossql

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// builtin is a scalar system function. impl receives evaluated arguments,
// which may be undefined; like the service, functions return undefined when
// an argument has the wrong type instead of failing the query.
type builtin struct {
	minArgs, maxArgs int
	impl             func(args []any) any
}

func (b *builtin) arity() string {
	switch {
	case b.minArgs == b.maxArgs && b.minArgs == 1:
		return "1 argument"
	case b.minArgs == b.maxArgs:
		return strconv.Itoa(b.minArgs) + " arguments"
	case b.maxArgs == math.MaxInt:
		return "at least " + strconv.Itoa(b.minArgs) + " arguments"
	}
	return strconv.Itoa(b.minArgs) + " to " + strconv.Itoa(b.maxArgs) + " arguments"
}

// aggregateNames are the aggregate functions; they are parsed into
// aggregateExpr rather than callExpr.
var aggregateNames = map[string]bool{
	"COUNT": true, "SUM": true, "MIN": true, "MAX": true, "AVG": true,
}

// builtins maps upper-case function names to their implementations.
// IS_BOOLEAN is the spelling of IS_BOOL that the .NET SDK writes into the
// filters with which it resumes a cross-partition ORDER BY on a boolean.
var builtins = map[string]*builtin{
	"IS_DEFINED":   {1, 1, func(a []any) any { return !isUndefined(a[0]) }},
	"IS_NULL":      {1, 1, func(a []any) any { return kindOf(a[0]) == kindNull }},
	"IS_BOOL":      {1, 1, func(a []any) any { return kindOf(a[0]) == kindBool }},
	"IS_BOOLEAN":   {1, 1, func(a []any) any { return kindOf(a[0]) == kindBool }},
	"IS_NUMBER":    {1, 1, func(a []any) any { return kindOf(a[0]) == kindNumber }},
	"IS_STRING":    {1, 1, func(a []any) any { return kindOf(a[0]) == kindString }},
	"IS_ARRAY":     {1, 1, func(a []any) any { return kindOf(a[0]) == kindArray }},
	"IS_OBJECT":    {1, 1, func(a []any) any { return kindOf(a[0]) == kindObject }},
	"IS_PRIMITIVE": {1, 1, fnIsPrimitive},

	"ARRAY_CONTAINS": {2, 3, fnArrayContains},
	"ARRAY_LENGTH":   {1, 1, fnArrayLength},

	"STARTSWITH": {2, 3, stringPredicate(strings.HasPrefix)},
	"ENDSWITH":   {2, 3, stringPredicate(strings.HasSuffix)},
	"CONTAINS":   {2, 3, stringPredicate(strings.Contains)},
	"LOWER":      {1, 1, stringMap(strings.ToLower)},
	"UPPER":      {1, 1, stringMap(strings.ToUpper)},
	"LENGTH":     {1, 1, fnLength},
	"CONCAT":     {2, math.MaxInt, fnConcat},
	"SUBSTRING":  {3, 3, fnSubstring},

	"FULLTEXTCONTAINS":    {2, 2, fullText(false)},
	"FULLTEXTCONTAINSALL": {2, math.MaxInt, fullText(true)},
	"FULLTEXTCONTAINSANY": {2, math.MaxInt, fullText(false)},

	"ABS":     {1, 1, numberMap(math.Abs)},
	"FLOOR":   {1, 1, numberMap(math.Floor)},
	"CEILING": {1, 1, numberMap(math.Ceil)},
}

// knownUnsupportedFunctions are real Cosmos DB system functions that this
// package does not evaluate; naming them in the error tells the user the
// query is valid but needs a real account.
var knownUnsupportedFunctions = map[string]bool{}

func init() {
	for _, name := range strings.Fields(`
		ACOS ASIN ATAN ATN2 COS COT DEGREES EXP LOG LOG10 PI POWER RADIANS RAND
		ROUND SIGN SIN SQRT SQUARE TAN TRUNC NUMBERBIN
		INTADD INTBITAND INTBITLEFTSHIFT INTBITNOT INTBITOR INTBITRIGHTSHIFT
		INTBITXOR INTDIV INTMOD INTMUL INTSUB
		ARRAY_CONCAT ARRAY_CONTAINS_ALL ARRAY_CONTAINS_ANY ARRAY_SLICE
		SETINTERSECT SETUNION CHOOSE IIF OBJECTTOARRAY DOCUMENTID
		INDEX_OF LEFT RIGHT LTRIM RTRIM TRIM REPLACE REPLICATE REVERSE
		STRINGEQUALS STRINGJOIN STRINGSPLIT STRINGTOARRAY STRINGTOBOOLEAN
		STRINGTONULL STRINGTONUMBER STRINGTOOBJECT TOSTRING REGEXMATCH
		IS_FINITE_NUMBER IS_INTEGER
		GETCURRENTDATETIME GETCURRENTDATETIMESTATIC GETCURRENTTICKS
		GETCURRENTTICKSSTATIC GETCURRENTTIMESTAMP GETCURRENTTIMESTAMPSTATIC
		DATETIMEADD DATETIMEBIN DATETIMEDIFF DATETIMEFROMPARTS DATETIMEPART
		DATETIMETOTICKS DATETIMETOTIMESTAMP TICKSTODATETIME TIMESTAMPTODATETIME
		ST_AREA ST_DISTANCE ST_INTERSECTS ST_ISVALID ST_ISVALIDDETAILED ST_WITHIN
		MAKELIST MAKESET COUNTIF VECTORDISTANCE FULLTEXTSCORE RRF`) {
		knownUnsupportedFunctions[name] = true
	}
}

func fnIsPrimitive(a []any) any {
	switch kindOf(a[0]) {
	case kindNull, kindBool, kindNumber, kindString:
		return true
	}
	return false
}

// fnArrayContains implements ARRAY_CONTAINS(arr, value [, partial]). With
// partial true, an object value matches an object element that has all of
// its properties with equal values.
func fnArrayContains(a []any) any {
	arr, ok := a[0].([]any)
	if !ok || isUndefined(a[1]) {
		return undefined
	}
	partial := false
	if len(a) == 3 {
		b, ok := a[2].(bool)
		if !ok {
			return undefined
		}
		partial = b
	}
	want := a[1]
	wantObj, wantIsObj := want.(map[string]any)
	for _, e := range arr {
		if partial && wantIsObj {
			if obj, ok := e.(map[string]any); ok && containsAll(obj, wantObj) {
				return true
			}
			continue
		}
		if equalValues(e, want) {
			return true
		}
	}
	return false
}

func containsAll(obj, want map[string]any) bool {
	for k, v := range want {
		got, ok := obj[k]
		if !ok || !equalValues(got, v) {
			return false
		}
	}
	return true
}

func fnArrayLength(a []any) any {
	arr, ok := a[0].([]any)
	if !ok {
		return undefined
	}
	return float64(len(arr))
}

// stringPredicate builds STARTSWITH, ENDSWITH and CONTAINS, whose optional
// third argument asks for a case-insensitive match.
func stringPredicate(f func(s, sub string) bool) func([]any) any {
	return func(a []any) any {
		s, ok1 := a[0].(string)
		sub, ok2 := a[1].(string)
		if !ok1 || !ok2 {
			return undefined
		}
		if len(a) == 3 {
			ignoreCase, ok := a[2].(bool)
			if !ok {
				return undefined
			}
			if ignoreCase {
				s, sub = strings.ToLower(s), strings.ToLower(sub)
			}
		}
		return f(s, sub)
	}
}

// fullText implements FullTextContains[All|Any](text, term...): a term
// matches when its words appear as words of the text, ignoring case. Cosmos
// DB also stems words per the container's full-text language; this server
// matches whole words only, so "searching" does not match "search".
func fullText(all bool) func([]any) any {
	return func(a []any) any {
		text, ok := a[0].(string)
		if !ok {
			return undefined
		}
		words := map[string]bool{}
		for _, w := range tokenize(text) {
			words[w] = true
		}
		for _, t := range a[1:] {
			term, ok := t.(string)
			if !ok {
				return undefined
			}
			match := true
			for _, w := range tokenize(term) {
				match = match && words[w]
			}
			if match && !all {
				return true
			}
			if !match && all {
				return false
			}
		}
		return all
	}
}

// tokenize splits text into lower-case words of letters and digits.
func tokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func stringMap(f func(string) string) func([]any) any {
	return func(a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		return f(s)
	}
}

func numberMap(f func(float64) float64) func([]any) any {
	return func(a []any) any {
		n, ok := a[0].(float64)
		if !ok {
			return undefined
		}
		return f(n)
	}
}

// fnLength counts characters (Unicode code points).
func fnLength(a []any) any {
	s, ok := a[0].(string)
	if !ok {
		return undefined
	}
	return float64(utf8.RuneCountInString(s))
}

func fnConcat(a []any) any {
	var b strings.Builder
	for _, v := range a {
		s, ok := v.(string)
		if !ok {
			return undefined
		}
		b.WriteString(s)
	}
	return b.String()
}

// fnSubstring implements SUBSTRING(s, start, length) with a zero-based start
// counted in characters; a length of 0 or less gives "".
func fnSubstring(a []any) any {
	s, ok := a[0].(string)
	start, ok2 := a[1].(float64)
	length, ok3 := a[2].(float64)
	if !ok || !ok2 || !ok3 {
		return undefined
	}
	runes := []rune(s)
	n := float64(len(runes))
	start = math.Trunc(start)
	length = math.Trunc(length)
	if start < 0 {
		start = 0
	}
	if length <= 0 || start >= n {
		return ""
	}
	end := start + length
	if end > n {
		end = n
	}
	return string(runes[int(start):int(end)])
}
