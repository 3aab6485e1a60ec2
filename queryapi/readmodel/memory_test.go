package readmodel_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"orderctx/queryapi/readmodel"
)

// TestViewOverheadIsMeasured loads views and compares the heap they take
// with the model's accounting, so the memory cap means what it says: the
// accounted bytes may not understate the heap by more than 15%, nor
// overstate it by more than 35%.
func TestViewOverheadIsMeasured(t *testing.T) {
	const n = 20_000
	specs := make([]spec, n)
	for i := range specs {
		specs[i] = spec{id: fmt.Sprintf("order-%08d", i), status: readmodel.Statuses[i%4], buyer: fmt.Sprintf("buyer-%05d", i%5000),
			currency: "EUR", total: int64(i * 7 % 100000), placed: t0.Add(time.Duration(i) * time.Second), version: 3}
	}
	views := make([]*readmodel.View, n)
	for i, s := range specs {
		views[i] = s.view(t)
	}
	docBytes := 0
	for _, v := range views {
		docBytes += cap(v.Doc) + len(v.ID) + len(v.BuyerID) + len(v.ETag)
	}
	before := heap()
	// As at a cold start: the views first, then the indexes.
	m := readmodel.New(readmodel.Options{})
	if _, err := m.Apply(views); err != nil {
		t.Fatal(err)
	}
	m.BuildIndexes()
	views = nil
	after := heap()
	_, accounted, _ := m.Usage()
	// The views were allocated before the first reading: count them in.
	measured := int64(after-before) + int64(docBytes) + int64(n)*viewStructSize
	perView := float64(measured-int64(docBytes)) / n
	t.Logf("%d views: measured %d bytes (%.0f per view beyond documents and strings), accounted %d (overhead constant %d), documents ~%d bytes each",
		n, measured, perView, accounted, readmodel.ViewOverhead, docBytes/n)
	if ratio := float64(accounted) / float64(measured); ratio < 0.85 || ratio > 1.35 {
		t.Fatalf("accounted/measured = %.2f, want within [0.85, 1.35]; set ViewOverhead near %.0f", ratio, perView)
	}
	runtime.KeepAlive(m)
}

// viewStructSize is the size of a readmodel.View (allocated with the views,
// before the first heap reading).
const viewStructSize = int64(unsafe.Sizeof(readmodel.View{}))

func heap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
