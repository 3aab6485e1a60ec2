package cosmosemu

import (
	"encoding/json"
	"reflect"
	"sort"

	"orderctx/infra/cosmosemu/cosmossql"
	"orderctx/infra/cosmosemu/store"
)

// queryPage is one page of query results: their JSON, total size, how many
// items were evaluated, and where the next page starts (nil: the range or
// partition is done).
type queryPage struct {
	out     [][]byte
	size    int
	scanned int
	next    *queryContinuation
}

func lastSeq(docs []*store.Doc) uint64 {
	if len(docs) == 0 {
		return 0
	}
	return docs[len(docs)-1].Seq
}

// encodeRow returns a result's JSON: the stored body when the row is a whole
// item (SELECT *), so items come back byte for byte as written.
func encodeRow(row any, doc *store.Doc) []byte {
	if doc != nil {
		if m, ok := row.(map[string]any); ok {
			if dm, ok := doc.Value().(map[string]any); ok && reflect.ValueOf(m).Pointer() == reflect.ValueOf(dm).Pointer() {
				return doc.Body
			}
		}
	}
	b, _ := json.Marshal(row)
	return b
}

// streamPage evaluates items one by one after cont.After until the page is
// full; the continuation names the last item evaluated.
func streamPage(q *cosmossql.Query, params map[string]any, docs []*store.Doc, cont queryContinuation, pageSize int) (queryPage, error) {
	var p queryPage
	start := sort.Search(len(docs), func(i int) bool { return docs[i].Seq > cont.After })
	one := make([]any, 1)
	for i := start; i < len(docs); i++ {
		if p.full(pageSize) {
			p.next = &queryContinuation{Range: cont.Range, After: docs[i-1].Seq}
			return p, nil
		}
		d := docs[i]
		one[0] = d.Value()
		rows, err := q.Run(one, params)
		if err != nil {
			return queryPage{}, err
		}
		p.scanned++
		for _, row := range rows {
			p.add(encodeRow(row, d))
		}
	}
	return p, nil
}

// wholePage evaluates the query over every item and returns the page of
// results after cont.Skip.
func wholePage(q *cosmossql.Query, params map[string]any, docs []*store.Doc, cont queryContinuation, pageSize int) (queryPage, error) {
	values := make([]any, len(docs))
	byPointer := make(map[uintptr]*store.Doc, len(docs))
	for i, d := range docs {
		v := d.Value()
		values[i] = v
		if m, ok := v.(map[string]any); ok {
			byPointer[reflect.ValueOf(m).Pointer()] = d
		}
	}
	rows, err := q.Run(values, params)
	if err != nil {
		return queryPage{}, err
	}
	p := queryPage{scanned: len(docs)}
	skip := min(cont.Skip, len(rows))
	rows = rows[skip:]
	for _, row := range rows {
		if p.full(pageSize) {
			break
		}
		var d *store.Doc
		if m, ok := row.(map[string]any); ok {
			d = byPointer[reflect.ValueOf(m).Pointer()]
		}
		p.add(encodeRow(row, d))
	}
	if len(p.out) < len(rows) {
		p.next = &queryContinuation{Range: cont.Range, Skip: skip + len(p.out)}
	}
	return p, nil
}

// full reports whether the page holds pageSize results, or more than
// maxQueryPageBytes (a page always holds at least one result).
func (p *queryPage) full(pageSize int) bool {
	return len(p.out) >= pageSize || (p.size > maxQueryPageBytes && len(p.out) > 0)
}

func (p *queryPage) add(b []byte) {
	p.out = append(p.out, b)
	p.size += len(b)
}
