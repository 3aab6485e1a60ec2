package queryapi_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"orderctx/domain/order/ordertest"
	"orderctx/domain/orderview"
	"orderctx/queryapi"
)

// TestOrderViewFoldIsTheProjectorsFold checks that a prediction folded onto
// a stored document equals what the projector writes from all the events:
// predicting from any version gives the same document.
func TestOrderViewFoldIsTheProjectorsFold(t *testing.T) {
	t.Parallel()
	reg := ordertest.Registry(t)
	gen := ordertest.New(7)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for n := range 40 {
		id := fmt.Sprintf("o-%d", n)
		_, events := gen.History(t, reg, id, 1+n%9, start)
		want, err := orderview.Apply(nil, events)
		if err != nil {
			t.Fatal(err)
		}
		wantDoc, _ := json.Marshal(want)
		for split := 0; split < len(events); split++ {
			var stored json.RawMessage
			if split > 0 {
				head, err := orderview.Apply(nil, events[:split])
				if err != nil {
					t.Fatal(err)
				}
				// A stored document carries system properties the fold ignores.
				stored, _ = json.Marshal(map[string]any{"_etag": `"x"`, "_ts": 1})
				doc, _ := json.Marshal(head)
				stored = append(doc[:len(doc)-1:len(doc)-1], append([]byte(","), stored[1:]...)...)
			}
			got, err := queryapi.OrderViewFold(stored, events[split:])
			if err != nil {
				t.Fatalf("%s from version %d: %v", id, split, err)
			}
			if string(got) != string(wantDoc) {
				t.Fatalf("%s from version %d:\n got %s\nwant %s", id, split, got, wantDoc)
			}
		}
	}
	if _, err := queryapi.OrderViewFold(json.RawMessage(`{"id":`), nil); err == nil {
		t.Fatal("a broken view document folded without an error")
	}
}
