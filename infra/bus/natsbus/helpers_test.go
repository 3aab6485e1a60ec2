package natsbus_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher/contracts"
	"orderctx/infra/bus/natsbus"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// open starts a bus with an embedded server on a free port and closes it
// when the test ends.
func open(t *testing.T, c natsbus.Config) *natsbus.Bus {
	t.Helper()
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	b, err := natsbus.Open(ctxT(t), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// orderEvents returns the events of n orders (placed, item added, paid,
// shipped), interleaved as a change feed of many orders delivers them.
func orderEvents(t testing.TB, n int, prefix string) []es.Envelope {
	t.Helper()
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		t.Fatal(err)
	}
	perOrder := make([][]es.Envelope, n)
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		payloads := []es.Payload{
			order.OrderPlaced{OrderID: id, BuyerID: "b", Currency: "EUR", PlacedAt: t0,
				ShippingAddress: order.Address{Street: "s", City: "c", PostalCode: "1", Country: "NO"},
				Items:           []order.Item{{ProductID: "p1", Name: "Pen", Quantity: 1, UnitPrice: eur(100), Discount: eur(0)}}},
			order.ItemAdded{OrderID: id, ProductID: "p2", Name: "Ink", Quantity: 2, UnitPrice: eur(50), Discount: eur(0)},
			order.OrderPaid{OrderID: id, PaymentReference: "psp", Amount: eur(200), PaidAt: t0},
			order.OrderShipped{OrderID: id, Carrier: "DHL", TrackingNumber: "T" + strconv.Itoa(i), ShippedAt: t0},
		}
		seq := 0
		eventID := func() string { seq++; return fmt.Sprintf("%s-e%d", id, seq) } // the same on every run
		envs, err := reg.Stamp(order.StreamID(id), 0, payloads, es.Causation{CommandID: "c", CorrelationID: "corr-" + id, CausationID: "req"}, t0, eventID)
		if err != nil {
			t.Fatal(err)
		}
		perOrder[i] = envs
	}
	var out []es.Envelope
	for v := range 4 {
		for i := range n {
			out = append(out, perOrder[i][v])
		}
	}
	return out
}

func eur(n int64) order.Money { return order.Money{Amount: n, Currency: "EUR"} }

// messages maps events to messages, folding each order for OrderChanged.
func messages(t testing.TB, events []es.Envelope) []contracts.Message {
	t.Helper()
	orders := map[string]*order.Order{}
	table := contracts.OrdersV1()
	out := make([]contracts.Message, 0, len(events))
	for _, e := range events {
		o := orders[e.StreamID]
		if o == nil {
			o = order.New(e.StreamID[len(order.StreamPrefix):])
			orders[e.StreamID] = o
		}
		if err := o.Replay(e); err != nil {
			t.Fatal(err)
		}
		st := o.State()
		m, _, err := table.Map(contracts.Source{Event: e, State: &st})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// openStream connects to url as another process would, over TCP, and looks
// the stream up (with fresh info).
func openStream(t *testing.T, url, name string) jetstream.Stream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctxT(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// consume reads the whole stream from the start with an ordered consumer.
func consume(t *testing.T, url, stream string) []jetstream.Msg {
	t.Helper()
	s := openStream(t, url, stream)
	want := int(s.CachedInfo().State.Msgs)
	cons, err := s.OrderedConsumer(ctxT(t), jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for len(out) < want {
		batch, err := cons.Fetch(want-len(out), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := len(out)
		for m := range batch.Messages() {
			out = append(out, m)
		}
		if batch.Error() != nil || len(out) == n {
			t.Fatalf("read %d of %d messages: %v", len(out), want, batch.Error())
		}
	}
	return out
}

// streamMsgs returns the number of messages in the stream.
func streamMsgs(t *testing.T, url, stream string) uint64 {
	t.Helper()
	return openStream(t, url, stream).CachedInfo().State.Msgs
}
