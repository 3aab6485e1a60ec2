package order

import "orderctx/domain/es"

// AddItem asks to add a quantity of a product to a submitted order.
type AddItem struct {
	OrderID string `json:"orderId"`
	ItemInput
}

// Validate reports every problem of the command that can be seen without the
// order's state, joined; each is an *es.Error with code Invalid.
func (c AddItem) Validate() error {
	var p problems
	p.id("orderId", c.OrderID)
	p.item("", c.ItemInput, "")
	return p.err()
}

// AddItem records ItemAdded. A product already in the order is merged into its
// line: quantities and discounts add up, which keeps every discount within its
// line total. The unit price must equal the line's (RuleUnitPriceMismatch):
// one line has one price, and a silent repricing would change what the buyer
// agreed to. The line keeps the name it was first added with.
//
// Errors, in the order they are checked: Invalid from Validate; Invalid
// RuleIDMismatch; NotFound RuleNotFound; Rejected RuleAlreadyPaid,
// RuleAlreadyShipped, RuleAlreadyCancelled, RuleCurrencyMismatch,
// RuleUnitPriceMismatch, RuleQuantityRange (merged quantity), RuleTooManyItems,
// RuleAmountOverflow (line or order total above MaxAmount).
func (o *Order) AddItem(cmd AddItem) error {
	if err := cmd.Validate(); err != nil {
		return err
	}
	if cmd.OrderID != o.id {
		return idMismatch(cmd.OrderID, o.id)
	}
	if err := o.requirePlaced(); err != nil {
		return err
	}
	if err := o.requireOpen("add items"); err != nil {
		return err
	}
	if cmd.UnitPrice.Currency != o.state.Currency {
		return es.FieldErrorf(es.Rejected, RuleCurrencyMismatch, "unitPrice.currency", "must be the order currency %s, got %s", o.state.Currency, cmd.UnitPrice.Currency)
	}
	added := cmd.toItem()
	line := added
	if i, ok := o.item(cmd.ProductID); ok {
		existing := o.state.Items[i]
		if existing.UnitPrice != cmd.UnitPrice {
			return es.FieldErrorf(es.Rejected, RuleUnitPriceMismatch, "unitPrice.amount", "product %s is in the order at %s; add it at that price or remove it first", cmd.ProductID, existing.UnitPrice)
		}
		line = existing
		line.Quantity += added.Quantity
		if line.Quantity > MaxQuantity {
			return es.FieldErrorf(es.Rejected, RuleQuantityRange, "quantity", "the line would hold %d units, at most %d are allowed", line.Quantity, MaxQuantity)
		}
		line.Discount.Amount += added.Discount.Amount // both <= MaxAmount, cannot overflow
	} else if len(o.state.Items) >= MaxItems {
		return es.FieldErrorf(es.Rejected, RuleTooManyItems, "productId", "the order already has %d items, the maximum", MaxItems)
	}
	lineGross, err := line.UnitPrice.Mul(int64(line.Quantity))
	if err != nil || lineGross.Amount > MaxAmount {
		return overflow("quantity", "line total")
	}
	if _, err := o.totalWith(cmd.ProductID, line); err != nil {
		return overflow("unitPrice.amount", "order total")
	}
	return o.root.Record(ItemAdded{
		OrderID:   o.id,
		ProductID: added.ProductID,
		Name:      added.Name,
		Quantity:  added.Quantity,
		UnitPrice: added.UnitPrice,
		Discount:  added.Discount,
	})
}

// totalWith returns the order total if the line of productID were replaced by
// (or extended with) line, failing above MaxAmount.
func (o *Order) totalWith(productID string, line Item) (Money, error) {
	total := Money{Currency: o.state.Currency}
	var err error
	for _, it := range o.state.Items {
		if it.ProductID == productID {
			continue
		}
		if total, err = total.Add(it.LineTotal()); err != nil {
			return Money{}, err
		}
	}
	if total, err = total.Add(line.LineTotal()); err != nil {
		return Money{}, err
	}
	if total.Amount > MaxAmount {
		return Money{}, ErrOverflow
	}
	return total, nil
}
