package publisher_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher"
	"orderctx/functions/publisher/contracts"
	"orderctx/infra/eventstore/memory"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeBus records what it publishes; failNext makes the next calls fail.
type fakeBus struct {
	mu       sync.Mutex
	batches  [][]contracts.Message
	failNext int
}

var errBusDown = errors.New("bus down")

func (b *fakeBus) Publish(_ context.Context, msgs []contracts.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failNext > 0 {
		b.failNext--
		return errBusDown
	}
	b.batches = append(b.batches, append([]contracts.Message(nil), msgs...))
	return nil
}

func (b *fakeBus) published() []contracts.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []contracts.Message
	for _, batch := range b.batches {
		out = append(out, batch...)
	}
	return out
}

// world is an event store holding order streams and a handler publishing
// to a fake bus, loading from that store.
type world struct {
	reg   *es.Registry
	store *memory.Store
	bus   *fakeBus
	h     *publisher.Handler
}

func newWorld(t *testing.T, opts publisher.Options) *world {
	t.Helper()
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		t.Fatal(err)
	}
	w := &world{reg: reg, store: memory.New(reg), bus: &fakeBus{}}
	h, err := publisher.New(w.bus, w.store, opts)
	if err != nil {
		t.Fatal(err)
	}
	w.h = h
	return w
}

// append stores payloads on order id's stream and returns them decoded, as
// the change feed delivers them.
func (w *world) append(t *testing.T, id string, payloads ...es.Payload) []es.Envelope {
	t.Helper()
	stream := order.StreamID(id)
	before := len(w.store.Events(stream))
	if _, err := w.store.AppendAs(stream, "cmd", t0, payloads...); err != nil {
		t.Fatal(err)
	}
	var out []es.Envelope
	for _, enc := range w.store.Events(stream)[before:] {
		e, err := w.reg.DecodeEvent(enc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func placed(id string, items ...order.Item) order.OrderPlaced {
	return order.OrderPlaced{OrderID: id, BuyerID: "b-1", Currency: "EUR", PlacedAt: t0, Items: items,
		ShippingAddress: order.Address{Street: "1 Main St", City: "Oslo", PostalCode: "0150", Country: "NO"}}
}

func eur(n int64) order.Money { return order.Money{Amount: n, Currency: "EUR"} }

func item(pid string, qty int, price int64) order.Item {
	return order.Item{ProductID: pid, Name: "Product " + pid, Quantity: qty, UnitPrice: eur(price), Discount: eur(0)}
}

func added(id, pid string, qty int, price int64) order.ItemAdded {
	return order.ItemAdded{OrderID: id, ProductID: pid, Name: "Product " + pid, Quantity: qty, UnitPrice: eur(price), Discount: eur(0)}
}

func paid(id string, amount int64) order.OrderPaid {
	return order.OrderPaid{OrderID: id, PaymentReference: "psp-" + id, Amount: eur(amount), PaidAt: t0}
}

// changedBody decodes the body of an OrderChanged message.
func changedBody(t *testing.T, m contracts.Message) contracts.OrderChanged {
	t.Helper()
	if m.Contract != contracts.OrderChangedV1 {
		t.Fatalf("message %s is a %s, want %s", m.ID, m.Contract, contracts.OrderChangedV1)
	}
	var c contracts.OrderChanged
	if err := json.Unmarshal(m.Body, &c); err != nil {
		t.Fatal(err)
	}
	return c
}
