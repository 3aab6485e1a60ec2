package contracts_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher/contracts"
)

var update = flag.Bool("update", false, "rewrite the golden examples under docs/contracts/examples")

// lifecycle is an order placed with two lines, edited three times, paid and
// shipped: every event type but the cancellation.
func lifecycle() []es.Envelope {
	return stream(
		order.OrderPlaced{OrderID: oid, BuyerID: "b-42", Currency: "EUR", ShippingAddress: addr, PlacedAt: t0,
			Items: []order.Item{line("p-1", "Pen", 2, 150, 0), line("p-2", "Notebook", 1, 1299, 100)}},
		order.ItemAdded{OrderID: oid, ProductID: "p-3", Name: "Ink <black>", Quantity: 3, UnitPrice: eur(250), Discount: eur(50)},
		order.ItemAdded{OrderID: oid, ProductID: "p-1", Name: "Pen", Quantity: 1, UnitPrice: eur(150), Discount: eur(0)},
		order.ItemRemoved{OrderID: oid, ProductID: "p-2"},
		order.OrderPaid{OrderID: oid, PaymentReference: "psp-7781", Amount: eur(1150), PaidAt: t0.Add(4 * time.Minute)},
		order.OrderShipped{OrderID: oid, Carrier: "DHL", TrackingNumber: "JD0001", ShippedAt: t0.Add(5 * time.Minute)},
	)
}

func placedThen(payloads ...es.Payload) []es.Envelope {
	placed := order.OrderPlaced{OrderID: oid, BuyerID: "b-42", Currency: "EUR", ShippingAddress: addr, PlacedAt: t0,
		Items: []order.Item{line("p-1", "Pen", 2, 150, 0)}}
	return stream(append([]es.Payload{placed}, payloads...)...)
}

type golden struct {
	file    string
	history []es.Envelope
	index   int // the event to map; the state is that after it
}

func goldens() []golden {
	life := lifecycle()
	refund := eur(300)
	return []golden{
		{"orders.v1.OrderPlaced.json", life, 0},
		{"orders.v1.OrderChanged.itemAdded.json", life, 1},
		{"orders.v1.OrderChanged.itemAdded-merged.json", life, 2},
		{"orders.v1.OrderChanged.itemRemoved.json", life, 3},
		{"orders.v1.OrderPaid.json", life, 4},
		{"orders.v1.OrderShipped.json", life, 5},
		{"orders.v1.OrderCancelled.json", placedThen(order.OrderCancelled{OrderID: oid, Reason: "changed my mind", CancelledAt: t0.Add(time.Minute)}), 1},
		{"orders.v1.OrderCancelled.refund.json", placedThen(
			order.OrderPaid{OrderID: oid, PaymentReference: "psp-7782", Amount: refund, PaidAt: t0.Add(time.Minute)},
			order.OrderCancelled{OrderID: oid, Reason: "out of stock", RefundDue: &refund, CancelledAt: t0.Add(2 * time.Minute)}), 2},
	}
}

// TestGoldenMessages maps fixed events and compares each message with its
// golden example, then validates it against the message schema and its body
// against the contract's own schema.
func TestGoldenMessages(t *testing.T) {
	t.Parallel()
	sch := schemas(t)
	table := contracts.OrdersV1()
	for _, g := range goldens() {
		t.Run(g.file, func(t *testing.T) {
			t.Parallel()
			m, published, err := table.Map(contracts.Source{Event: g.history[g.index], State: stateAfter(t, g.history, g.index+1)})
			if err != nil || !published {
				t.Fatalf("Map = published %v, %v", published, err)
			}
			if !strings.HasPrefix(g.file, m.Contract+".") {
				t.Fatalf("contract %s, golden %s", m.Contract, g.file)
			}
			got := document(t, m)
			path := filepath.Join(contractsDir, "examples", g.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update once to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("message differs from %s:\n got %s\nwant %s", path, got, want)
			}
			if err := sch["orders.v1.message"].Validate(parse(t, got)); err != nil {
				t.Errorf("message schema: %v", err)
			}
			if err := sch[m.Contract].Validate(parse(t, m.Body)); err != nil {
				t.Errorf("%s schema: %v", m.Contract, err)
			}
		})
	}
}

// TestEveryContractIsDocumented keeps names, schemas and examples in step.
func TestEveryContractIsDocumented(t *testing.T) {
	t.Parallel()
	sch := schemas(t)
	examples, err := filepath.Glob(filepath.Join(contractsDir, "examples", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range contracts.Names() {
		if sch[name] == nil {
			t.Errorf("%s has no schema %s.schema.json", name, name)
		}
		if !slices.ContainsFunc(examples, func(f string) bool { return strings.HasPrefix(filepath.Base(f), name+".") }) {
			t.Errorf("%s has no golden example", name)
		}
	}
	published := map[string]bool{}
	for eventType, rule := range contracts.OrdersV1() {
		if rule.Internal() {
			t.Errorf("%s is internal; the docs say every order event is published", eventType)
		}
		published[rule.Contract] = true
	}
	for _, name := range contracts.Names() {
		if !published[name] {
			t.Errorf("no order event maps to %s", name)
		}
	}
}

// TestSchemasRejectBrokenMessages shows the schemas are not vacuous: each
// mutation of a valid golden example breaks a stated rule.
func TestSchemasRejectBrokenMessages(t *testing.T) {
	t.Parallel()
	sch := schemas(t)
	tests := []struct {
		name, file string
		mutate     func(doc map[string]any)
	}{
		{"fractional amount", "orders.v1.OrderPaid.json", func(d map[string]any) { body(d)["amount"].(map[string]any)["amountMinor"] = 11.5 }},
		{"lower-case currency", "orders.v1.OrderPaid.json", func(d map[string]any) { body(d)["amount"].(map[string]any)["currency"] = "eur" }},
		{"amount above 2^53-1", "orders.v1.OrderPaid.json", func(d map[string]any) { body(d)["amount"].(map[string]any)["amountMinor"] = 1 << 54 }},
		{"missing orderId", "orders.v1.OrderShipped.json", func(d map[string]any) { delete(body(d), "orderId") }},
		{"Go field name", "orders.v1.OrderShipped.json", func(d map[string]any) { body(d)["TrackingNumber"] = "x" }},
		{"local time", "orders.v1.OrderShipped.json", func(d map[string]any) { body(d)["shippedAt"] = "2025-03-01T13:05:00+01:00" }},
		{"not a time", "orders.v1.OrderShipped.json", func(d map[string]any) { body(d)["shippedAt"] = "yesterday" }},
		{"zero quantity", "orders.v1.OrderPlaced.json", func(d map[string]any) { items(d)[0].(map[string]any)["quantity"] = 0 }},
		{"item without lineTotal", "orders.v1.OrderPlaced.json", func(d map[string]any) { delete(items(d)[0].(map[string]any), "lineTotal") }},
		{"itemAdded without quantityAdded", "orders.v1.OrderChanged.itemAdded.json", func(d map[string]any) { delete(change(d), "quantityAdded") }},
		{"itemRemoved with quantityAdded", "orders.v1.OrderChanged.itemRemoved.json", func(d map[string]any) { change(d)["quantityAdded"] = 1 }},
		{"unknown change kind", "orders.v1.OrderChanged.itemRemoved.json", func(d map[string]any) { change(d)["kind"] = "itemRenamed" }},
		{"negative refund", "orders.v1.OrderCancelled.refund.json", func(d map[string]any) { body(d)["refundDue"].(map[string]any)["amountMinor"] = -1 }},
		{"body of another contract", "orders.v1.OrderPaid.json", func(d map[string]any) { d["type"] = contracts.OrderShippedV1 }},
		{"unknown contract", "orders.v1.OrderPaid.json", func(d map[string]any) { d["type"] = "orders.v1.OrderRefunded" }},
		{"stream version 0", "orders.v1.OrderPaid.json", func(d map[string]any) { d["streamVersion"] = 0 }},
		{"id with a newline", "orders.v1.OrderPaid.json", func(d map[string]any) { d["id"] = "a\nb" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(contractsDir, "examples", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if err := sch["orders.v1.message"].Validate(parse(t, raw)); err != nil {
				t.Fatalf("the unmutated example is invalid: %v", err)
			}
			tc.mutate(doc)
			broken, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch["orders.v1.message"].Validate(parse(t, broken)); err == nil {
				t.Fatalf("schema accepted %s", broken)
			}
		})
	}
}

func body(d map[string]any) map[string]any   { return d["body"].(map[string]any) }
func items(d map[string]any) []any           { return body(d)["items"].([]any) }
func change(d map[string]any) map[string]any { return body(d)["change"].(map[string]any) }
