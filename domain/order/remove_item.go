package order

import "orderctx/domain/es"

// RemoveItem asks to remove a product's whole line from a submitted order.
type RemoveItem struct {
	OrderID   string `json:"orderId"`
	ProductID string `json:"productId"`
}

// Validate reports every problem of the command that can be seen without the
// order's state, joined; each is an *es.Error with code Invalid.
func (c RemoveItem) Validate() error {
	var p problems
	p.id("orderId", c.OrderID)
	p.id("productId", c.ProductID)
	return p.err()
}

// RemoveItem records ItemRemoved. A product that is not in the order is
// NotFound (RuleItemNotFound) rather than Invalid: the request is well formed
// and addresses a resource (/orders/{id}/items/{productId}) that does not exist.
// Removing the last item is allowed; the empty order just cannot be paid.
//
// Errors, in the order they are checked: Invalid from Validate; Invalid
// RuleIDMismatch; NotFound RuleNotFound; Rejected RuleAlreadyPaid,
// RuleAlreadyShipped, RuleAlreadyCancelled; NotFound RuleItemNotFound.
func (o *Order) RemoveItem(cmd RemoveItem) error {
	if err := cmd.Validate(); err != nil {
		return err
	}
	if cmd.OrderID != o.id {
		return idMismatch(cmd.OrderID, o.id)
	}
	if err := o.requirePlaced(); err != nil {
		return err
	}
	if err := o.requireOpen("remove items"); err != nil {
		return err
	}
	if _, ok := o.item(cmd.ProductID); !ok {
		return es.FieldErrorf(es.NotFound, RuleItemNotFound, "productId", "product %s is not in order %s", cmd.ProductID, o.id)
	}
	return o.root.Record(ItemRemoved{OrderID: o.id, ProductID: cmd.ProductID})
}
