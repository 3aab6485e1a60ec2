package contracts_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/functions/publisher/contracts"
)

func TestMapRefusesWhatCannotBeMapped(t *testing.T) {
	t.Parallel()
	life := lifecycle()
	state := stateAfter(t, life, 2)
	other := *state
	other.OrderID = "o-2"
	with := func(i int, change func(e *es.Envelope)) es.Envelope {
		e := life[i]
		change(&e)
		return e
	}
	tests := []struct {
		name  string
		src   contracts.Source
		want  error
		cause string
	}{
		{"event type without a rule", contracts.Source{Event: with(4, func(e *es.Envelope) { e.Type = "order.refunded" })}, contracts.ErrNoRule, "order.refunded"},
		{"payload of another type", contracts.Source{Event: with(4, func(e *es.Envelope) { e.Payload = life[5].Payload })}, contracts.ErrInvalidEvent, "order.OrderShipped"},
		{"no event id", contracts.Source{Event: with(4, func(e *es.Envelope) { e.EventID = "" })}, contracts.ErrInvalidEvent, "event id"},
		{"event id too long", contracts.Source{Event: with(4, func(e *es.Envelope) { e.EventID = strings.Repeat("x", 129) })}, contracts.ErrInvalidEvent, "longer than 128"},
		{"correlation id with a line break", contracts.Source{Event: with(4, func(e *es.Envelope) { e.CorrelationID = "a\r\nb" })}, contracts.ErrInvalidEvent, "correlation id"},
		{"causation id not ASCII", contracts.Source{Event: with(4, func(e *es.Envelope) { e.CausationID = "grüße" })}, contracts.ErrInvalidEvent, "causation id"},
		{"not an order stream", contracts.Source{Event: with(4, func(e *es.Envelope) { e.StreamID = "invoice-1" })}, contracts.ErrInvalidEvent, "not an order stream"},
		{"version 0", contracts.Source{Event: with(4, func(e *es.Envelope) { e.Version = 0 })}, contracts.ErrInvalidEvent, "not an order stream"},
		{"payload of another order", contracts.Source{Event: with(4, func(e *es.Envelope) { e.StreamID = order.StreamID("o-2") })}, contracts.ErrInvalidEvent, "names order"},
		{"change without state", contracts.Source{Event: life[1]}, contracts.ErrInvalidEvent, "needs the state"},
		{"change with another order's state", contracts.Source{Event: life[1], State: &other}, contracts.ErrInvalidEvent, "needs the state"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, published, err := contracts.OrdersV1().Map(tc.src)
			if !errors.Is(err, tc.want) || published || !strings.Contains(err.Error(), tc.cause) {
				t.Fatalf("Map = published %v, %v; want %v naming %q", published, err, tc.want, tc.cause)
			}
		})
	}
}

func TestMapEnvelope(t *testing.T) {
	t.Parallel()
	e := lifecycle()[4]
	e.OccurredAt = time.Date(2025, 3, 1, 13, 4, 0, 0, time.FixedZone("CET", 3600))
	m, published, err := contracts.OrdersV1().Map(contracts.Source{Event: e})
	if err != nil || !published {
		t.Fatalf("Map = %v, %v", published, err)
	}
	want := contracts.Message{ID: e.EventID, Contract: contracts.OrderPaidV1, OrderID: oid, CorrelationID: "corr-1", CausationID: "req-5",
		OccurredAt: t0.Add(4 * time.Minute), StreamVersion: 5, Body: m.Body}
	if m.OccurredAt.Location() != time.UTC || fmt.Sprint(m) != fmt.Sprint(want) {
		t.Fatalf("message\n got %+v\nwant %+v", m, want)
	}
}

func TestInternalEventsAreNotPublished(t *testing.T) {
	t.Parallel()
	table := contracts.OrdersV1()
	table[order.EventOrderShipped] = contracts.Rule{}
	m, published, err := table.Map(contracts.Source{Event: lifecycle()[5]})
	if err != nil || published || m.ID != "" {
		t.Fatalf("Map = %+v, published %v, %v; want nothing", m, published, err)
	}
}

// TestRandomOrdersMatchSchemas drives the domain with random commands (the
// domain refuses what it must) and checks every message of every recorded
// event against the schemas, so the schemas accept all the domain can say,
// Unicode names and limits included.
func TestRandomOrdersMatchSchemas(t *testing.T) {
	t.Parallel()
	sch := schemas(t)
	table := contracts.OrdersV1()
	rng := rand.New(rand.NewPCG(1, 2))
	checked := map[string]int{}
	for n := range 300 {
		history := randomHistory(rng, fmt.Sprintf("o-%d", n))
		for i, e := range history {
			o, err := order.Load(e.StreamID[len(order.StreamPrefix):], history[:i+1])
			if err != nil {
				t.Fatal(err)
			}
			st := o.State()
			m, _, err := table.Map(contracts.Source{Event: e, State: &st})
			if err != nil {
				t.Fatalf("order %d event %d: %v", n, i, err)
			}
			if err := sch[m.Contract].Validate(parse(t, m.Body)); err != nil {
				t.Fatalf("order %d event %d (%s): %v\n%s", n, i, m.Contract, err, m.Body)
			}
			checked[m.Contract]++
		}
	}
	for _, name := range contracts.Names() {
		if checked[name] < 10 {
			t.Errorf("only %d random %s messages", checked[name], name)
		}
	}
}

// TestLargestBodyFitsServiceBus builds the largest OrderChanged the domain
// allows: MaxItems lines with the longest ids and names of characters that
// JSON escapes to six bytes. Service Bus Standard takes 256 KB per message,
// properties included.
func TestLargestBodyFitsServiceBus(t *testing.T) {
	t.Parallel()
	const limit = 200 << 10 // leaves 56 KB for properties
	state := order.State{OrderID: strings.Repeat("o", order.MaxIDLength), Currency: "EUR"}
	for i := range order.MaxItems {
		pid := fmt.Sprintf("%0*d", order.MaxIDLength, i)
		state.Items = append(state.Items, order.Item{ProductID: pid, Name: strings.Repeat("\u2028", order.MaxNameLength),
			Quantity: order.MaxQuantity, UnitPrice: eur(order.MaxAmount / order.MaxQuantity), Discount: eur(order.MaxAmount / order.MaxQuantity)})
	}
	e := es.Envelope{Type: order.EventItemRemoved, Payload: order.ItemRemoved{OrderID: state.OrderID, ProductID: "gone"},
		Metadata: es.Metadata{EventID: strings.Repeat("e", 128), StreamID: order.StreamID(state.OrderID), Version: 1 << 40, OccurredAt: t0}}
	m, _, err := contracts.OrdersV1().Map(contracts.Source{Event: e, State: &state})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Body) > limit {
		t.Fatalf("largest body is %d bytes, over %d", len(m.Body), limit)
	}
	t.Logf("largest OrderChanged body: %d bytes", len(m.Body))
}
