package contracts_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher/contracts"
)

// contractsDir holds the published schemas and golden examples.
var contractsDir = filepath.Join("..", "..", "..", "docs", "contracts")

const schemaBase = "https://orderctx.example/contracts/"

// schemas compiles every schema under contractsDir, with formats asserted,
// keyed by file name without ".schema.json".
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(contractsDir, "*.schema.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", contractsDir, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, f := range files {
		if err := c.AddResource(schemaBase+filepath.Base(f), readJSON(t, f)); err != nil {
			t.Fatalf("add %s: %v", f, err)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(files))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".schema.json")
		sch, err := c.Compile(schemaBase + filepath.Base(f))
		if err != nil {
			t.Fatalf("compile %s: %v", f, err)
		}
		out[name] = sch
	}
	return out
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func parse(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("parse %s: %v", b, err)
	}
	return v
}

// document is a message as a subscriber sees it, independent of the
// transport: the shape of orders.v1.message.schema.json and the golden files.
func document(t *testing.T, m contracts.Message) []byte {
	t.Helper()
	doc := struct {
		ID            string          `json:"id"`
		Type          string          `json:"type"`
		OrderID       string          `json:"orderId"`
		CorrelationID string          `json:"correlationId,omitempty"`
		CausationID   string          `json:"causationId,omitempty"`
		OccurredAt    time.Time       `json:"occurredAt"`
		StreamVersion int64           `json:"streamVersion"`
		ContentType   string          `json:"contentType"`
		Body          json.RawMessage `json:"body"`
	}{m.ID, m.Contract, m.OrderID, m.CorrelationID, m.CausationID, m.OccurredAt, m.StreamVersion, contracts.ContentType, m.Body}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	t0   = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	addr = order.Address{Street: "Hauptstraße 1", City: "Berlin", PostalCode: "10115", Country: "DE"}
)

const oid = "o-1001"

func eur(n int64) order.Money { return order.Money{Amount: n, Currency: "EUR"} }

func line(pid, name string, qty int, price, discount int64) order.Item {
	return order.Item{ProductID: pid, Name: name, Quantity: qty, UnitPrice: eur(price), Discount: eur(discount)}
}

// stream stamps payloads as the stored stream of order oid, one minute apart,
// with ids that show their position.
func stream(payloads ...es.Payload) []es.Envelope {
	out := make([]es.Envelope, len(payloads))
	for i, p := range payloads {
		v := int64(i + 1)
		out[i] = es.Envelope{Type: p.EventType(), SchemaVersion: 1, Payload: p, Metadata: es.Metadata{
			EventID:       "0195a3c0-0000-4000-8000-00000000000" + string(rune('0'+v)),
			StreamID:      order.StreamID(oid),
			Version:       v,
			CommandID:     "cmd-" + string(rune('0'+v)),
			CorrelationID: "corr-1",
			CausationID:   "req-" + string(rune('0'+v)),
			OccurredAt:    t0.Add(time.Duration(i) * time.Minute),
		}}
	}
	return out
}

// stateAfter folds the first n events of history.
func stateAfter(t *testing.T, history []es.Envelope, n int) *order.State {
	t.Helper()
	o, err := order.Load(oid, history[:n])
	if err != nil {
		t.Fatal(err)
	}
	s := o.State()
	return &s
}
