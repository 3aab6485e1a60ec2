// Package ordertest generates random order commands, for property tests of
// the code downstream of the order aggregate (projections, snapshots,
// publishing): the domain decides them, so whatever events they record are
// ones the write side can produce.
package ordertest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// Generator picks commands; it is not safe for concurrent use.
type Generator struct {
	rng *rand.Rand
}

// New returns a generator whose choices follow from seed.
func New(seed uint64) *Generator { return &Generator{rng: rand.New(rand.NewPCG(seed, 7))} }

// Rand returns the generator's source, for choices a test makes besides commands.
func (g *Generator) Rand() *rand.Rand { return g.rng }

// Decide runs one random command on o at time now and describes it. Most
// commands suit o's state (the order's own products, the exact total as
// payment); some the domain refuses, and then o is unchanged and the error is
// the domain's.
func (g *Generator) Decide(o *order.Order, now time.Time) (string, error) {
	id := o.ID()
	if !o.Exists() {
		c := order.PlaceOrder{OrderID: id, BuyerID: "b-" + id, Currency: "EUR",
			ShippingAddress: order.Address{Street: "1 Main St", City: "Oslo", PostalCode: "0150", Country: "NO"}}
		for range g.rng.IntN(4) {
			c.Items = append(c.Items, g.item(len(c.Items)))
		}
		return fmt.Sprintf("place %d items", len(c.Items)), o.Place(c, now)
	}
	switch r := g.rng.IntN(100); {
	case r < 45:
		it := g.item(g.rng.IntN(6))
		return fmt.Sprintf("add %s x%d", it.ProductID, it.Quantity), o.AddItem(order.AddItem{OrderID: id, ItemInput: it})
	case r < 57:
		pid := fmt.Sprintf("p-%d", g.rng.IntN(6))
		if items := o.Items(); len(items) > 0 && g.rng.IntN(4) > 0 {
			pid = items[g.rng.IntN(len(items))].ProductID
		}
		return "remove " + pid, o.RemoveItem(order.RemoveItem{OrderID: id, ProductID: pid})
	case r < 72:
		amount := o.Total()
		if g.rng.IntN(10) == 0 {
			amount.Amount++
		}
		return fmt.Sprintf("pay %v", amount), o.Pay(order.PayOrder{OrderID: id, PaymentReference: "psp-" + id, Amount: amount}, now)
	case r < 82:
		return "ship", o.Ship(order.ShipOrder{OrderID: id, Carrier: "DHL", TrackingNumber: "T-" + id}, now)
	case r < 90:
		return "cancel", o.Cancel(order.CancelOrder{OrderID: id, Reason: "changed my mind"}, now)
	default:
		return "place again", o.Place(order.PlaceOrder{OrderID: id, BuyerID: "b", Currency: "EUR",
			ShippingAddress: order.Address{Street: "s", City: "c", PostalCode: "1", Country: "NO"}}, now)
	}
}

// item returns a line for product p-n at that product's fixed price, with a
// random quantity and sometimes a discount.
func (g *Generator) item(n int) order.ItemInput {
	price := int64(100 + 250*n)
	it := order.ItemInput{ProductID: fmt.Sprintf("p-%d", n), Name: fmt.Sprintf("Product %d", n),
		Quantity: 1 + g.rng.IntN(5), UnitPrice: order.Money{Amount: price, Currency: "EUR"}}
	if g.rng.IntN(3) == 0 {
		it.Discount = &order.Money{Amount: g.rng.Int64N(price*int64(it.Quantity) + 1), Currency: "EUR"}
	}
	return it
}

// Registry returns a registry with the order events, or fails the test.
func Registry(tb testing.TB) *es.Registry {
	tb.Helper()
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		tb.Fatal(err)
	}
	return reg
}

// History runs commands random commands on a new order and returns the order
// and the events it recorded, as a store returns them: encoded to JSON and
// decoded again through reg. Event times start at start, a second apart.
func (g *Generator) History(tb testing.TB, reg *es.Registry, orderID string, commands int, start time.Time) (*order.Order, []es.Envelope) {
	tb.Helper()
	o := order.New(orderID)
	clock := es.NewFixedClock(start)
	var events []es.Envelope
	for range commands {
		if _, err := g.Decide(o, clock.Advance(time.Second)); err != nil {
			continue
		}
		envs, err := reg.Stamp(o.StreamID(), o.CommittedVersion(), o.Pending(), es.Causation{}, clock.Now(), nil)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range envs {
			events = append(events, throughJSON(tb, reg, e))
		}
		o.MarkCommitted()
	}
	return o, events
}

func throughJSON(tb testing.TB, reg *es.Registry, e es.Envelope) es.Envelope {
	tb.Helper()
	enc, err := reg.EncodeEnvelope(e)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := json.Marshal(enc)
	if err != nil {
		tb.Fatal(err)
	}
	var back es.EncodedEvent
	if err := json.Unmarshal(raw, &back); err != nil {
		tb.Fatal(err)
	}
	dec, err := reg.DecodeEvent(back)
	if err != nil {
		tb.Fatal(err)
	}
	return dec
}
