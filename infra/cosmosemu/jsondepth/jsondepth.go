// Package jsondepth bounds how deeply the JSON documents the server accepts
// nest objects and arrays, as Cosmos DB does.
//
// Every recursive walk over a document (the item scanner, patch, the query
// engine's comparisons, encoding) then recurses at most Max levels, whatever
// a client sends, and a check costs one pass over the bytes.
package jsondepth

import "fmt"

// Max is Cosmos DB's documented limit on the nesting of objects and arrays in
// an item ("Maximum level of nesting for embedded objects / arrays": 128, in
// the service quotas). The service does not say whether the item itself
// counts; here it does, which is the stricter reading: what this server
// accepts, the service accepts too.
const Max = 128

// Error is the refusal of a document that nests more than Max levels.
type Error struct {
	What string // what nests too deeply: "the item", "a patch value", ...
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s nests objects and arrays more than %d levels deep, the most Cosmos DB allows", e.What, Max)
}

// Exceeds reports whether b nests objects and arrays more than limit levels
// deep ("{}" and "[]" are one level, "[{}]" two). It reads b once, without
// recursion, and stops at the first level too many. It does not validate b:
// a decoder still has to.
func Exceeds(b []byte, limit int) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = skipString(b, i)
		case '{', '[':
			if depth++; depth > limit {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// skipString returns the index of the quote closing the string that opens at
// b[i], or len(b) if it is not closed.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(b)
}
