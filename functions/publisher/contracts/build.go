package contracts

import "orderctx/domain/order"

// The build functions of OrdersV1: one domain event (and state) to one payload.

func orderPlaced(src Source) (string, any, error) {
	e, err := payloadOf[order.OrderPlaced](src)
	if err != nil {
		return "", nil, err
	}
	items, total := publicItems(e.Items, e.Currency)
	return e.OrderID, OrderPlaced{
		OrderID:         e.OrderID,
		BuyerID:         e.BuyerID,
		Currency:        e.Currency,
		ShippingAddress: Address(e.ShippingAddress),
		Items:           items,
		Total:           total,
		PlacedAt:        e.PlacedAt.UTC(),
	}, nil
}

func itemAdded(src Source) (string, any, error) {
	e, err := payloadOf[order.ItemAdded](src)
	if err != nil {
		return "", nil, err
	}
	return e.OrderID, changed(src, Change{Kind: ChangeItemAdded, ProductID: e.ProductID, QuantityAdded: e.Quantity}), nil
}

func itemRemoved(src Source) (string, any, error) {
	e, err := payloadOf[order.ItemRemoved](src)
	if err != nil {
		return "", nil, err
	}
	return e.OrderID, changed(src, Change{Kind: ChangeItemRemoved, ProductID: e.ProductID}), nil
}

// changed builds OrderChanged from the state after the edit; an item-level
// event has no time of its own, so the event's recording time is used.
func changed(src Source, c Change) OrderChanged {
	items, total := publicItems(src.State.Items, src.State.Currency)
	return OrderChanged{OrderID: src.State.OrderID, Change: c, Items: items, Total: total, ChangedAt: src.Event.OccurredAt.UTC()}
}

func orderPaid(src Source) (string, any, error) {
	e, err := payloadOf[order.OrderPaid](src)
	if err != nil {
		return "", nil, err
	}
	return e.OrderID, OrderPaid{OrderID: e.OrderID, PaymentReference: e.PaymentReference, Amount: money(e.Amount), PaidAt: e.PaidAt.UTC()}, nil
}

func orderShipped(src Source) (string, any, error) {
	e, err := payloadOf[order.OrderShipped](src)
	if err != nil {
		return "", nil, err
	}
	return e.OrderID, OrderShipped{OrderID: e.OrderID, Carrier: e.Carrier, TrackingNumber: e.TrackingNumber, ShippedAt: e.ShippedAt.UTC()}, nil
}

func orderCancelled(src Source) (string, any, error) {
	e, err := payloadOf[order.OrderCancelled](src)
	if err != nil {
		return "", nil, err
	}
	out := OrderCancelled{OrderID: e.OrderID, Reason: e.Reason, CancelledAt: e.CancelledAt.UTC()}
	if e.RefundDue != nil {
		refund := money(*e.RefundDue)
		out.RefundDue = &refund
	}
	return e.OrderID, out, nil
}

func money(m order.Money) Money { return Money{AmountMinor: m.Amount, Currency: m.Currency} }

// publicItems converts order lines and sums their totals. An order's amounts
// are bounded by order.MaxAmount, so the sum cannot overflow.
func publicItems(items []order.Item, currency string) ([]Item, Money) {
	out := make([]Item, len(items))
	total := Money{Currency: currency}
	for i, it := range items {
		line := it.LineTotal()
		out[i] = Item{
			ProductID: it.ProductID,
			Name:      it.Name,
			Quantity:  it.Quantity,
			UnitPrice: money(it.UnitPrice),
			Discount:  money(it.Discount),
			LineTotal: money(line),
		}
		total.AmountMinor += line.Amount
	}
	return out, total
}
