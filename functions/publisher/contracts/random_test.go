package contracts_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// names mixes ASCII, characters JSON escapes and characters outside the
// Basic Multilingual Plane.
var names = []string{"Pen", "Füller", "鉛筆", "Ink <black> & \"blue\"", "back\\slash", "line\u2028sep", "🖊️ deluxe", strings.Repeat("ß", order.MaxNameLength)}

// randomHistory tries random commands on a new order and returns the events
// of those the domain accepted, stamped as a stored stream.
func randomHistory(rng *rand.Rand, orderID string) []es.Envelope {
	o := order.New(orderID)
	now := t0
	cur := []string{"EUR", "JPY", "USD"}[rng.IntN(3)]
	money := func(max int64) order.Money { return order.Money{Amount: rng.Int64N(max + 1), Currency: cur} }
	input := func() order.ItemInput {
		d := money(50)
		return order.ItemInput{ProductID: fmt.Sprintf("p-%d", rng.IntN(6)), Name: names[rng.IntN(len(names))],
			Quantity: 1 + rng.IntN(5), UnitPrice: money(100_000), Discount: &d}
	}
	var items []order.ItemInput
	for range rng.IntN(4) {
		items = append(items, input())
	}
	_ = o.Place(order.PlaceOrder{OrderID: orderID, BuyerID: "b-" + orderID, Currency: cur,
		ShippingAddress: order.Address{Street: []string{"Hauptstraße 1", "1 Main St", "東京 1-2"}[rng.IntN(3)], City: "Zürich", PostalCode: "8001", Country: "CH"}, Items: items}, now)
	for range 2 + rng.IntN(8) {
		now = now.Add(time.Duration(rng.IntN(3600)) * time.Second)
		switch rng.IntN(6) {
		case 0, 1:
			_ = o.AddItem(order.AddItem{OrderID: orderID, ItemInput: input()})
		case 2:
			_ = o.RemoveItem(order.RemoveItem{OrderID: orderID, ProductID: fmt.Sprintf("p-%d", rng.IntN(6))})
		case 3:
			_ = o.Pay(order.PayOrder{OrderID: orderID, PaymentReference: "psp-" + orderID, Amount: o.Total()}, now)
		case 4:
			_ = o.Ship(order.ShipOrder{OrderID: orderID, Carrier: "Post", TrackingNumber: "T-" + orderID}, now)
		case 5:
			if rng.IntN(3) == 0 {
				_ = o.Cancel(order.CancelOrder{OrderID: orderID, Reason: names[rng.IntN(len(names))]}, now)
			}
		}
	}
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		panic(err)
	}
	envs, err := reg.Stamp(o.StreamID(), 0, o.Pending(), es.Causation{CommandID: "c", CorrelationID: "corr"}, now, nil)
	if err != nil {
		panic(err)
	}
	return envs
}
