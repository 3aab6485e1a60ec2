package order_test

import (
	"strings"
	"testing"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

func TestShip(t *testing.T) {
	t.Parallel()
	ship := func(c order.ShipOrder) func(*order.Order) error {
		return func(o *order.Order) error { return o.Ship(c, t0) }
	}
	one := placed(item("p-1", 1, 100, 0))
	run(t, []scenario{
		{
			name: "ships a paid order", given: []es.Payload{one, paid(100)}, when: ship(shipCmd()),
			then: []es.Payload{shipped()},
			check: func(t *testing.T, o *order.Order) {
				if s := o.State(); s.Status != order.StatusShipped || s.Shipment == nil || s.Shipment.Carrier != "DHL" {
					t.Errorf("state = %+v", s)
				}
			},
		},
		{name: "not paid", given: []es.Payload{one}, when: ship(shipCmd()), code: es.Rejected, rule: order.RuleNotPaid},
		{name: "already shipped", given: []es.Payload{one, paid(100), shipped()}, when: ship(shipCmd()), code: es.Rejected, rule: order.RuleAlreadyShipped},
		{name: "cancelled before payment", given: []es.Payload{one, cancelled(nil)}, when: ship(shipCmd()), code: es.Rejected, rule: order.RuleAlreadyCancelled},
		{name: "cancelled after payment", given: []es.Payload{one, paid(100), cancelled(eurPtr(100))}, when: ship(shipCmd()), code: es.Rejected, rule: order.RuleAlreadyCancelled},
		{name: "order not placed", when: ship(shipCmd()), code: es.NotFound, rule: order.RuleNotFound},
		{name: "carrier required", given: []es.Payload{one, paid(100)}, when: ship(order.ShipOrder{OrderID: oid, TrackingNumber: "T"}), code: es.Invalid, rule: order.RuleRequired, field: "carrier"},
		{name: "tracking number required", given: []es.Payload{one, paid(100)}, when: ship(order.ShipOrder{OrderID: oid, Carrier: "DHL"}), code: es.Invalid, rule: order.RuleRequired, field: "trackingNumber"},
		{
			name: "tracking number too long", given: []es.Payload{one, paid(100)},
			when: ship(order.ShipOrder{OrderID: oid, Carrier: "DHL", TrackingNumber: strings.Repeat("1", order.MaxTrackingNumberLength+1)}),
			code: es.Invalid, rule: order.RuleTooLong, field: "trackingNumber",
		},
	})
}
