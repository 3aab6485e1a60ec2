package order

import (
	"fmt"
	"time"

	"orderctx/domain/es"
)

// ItemInput is an item as a client submits it, in PlaceOrder and AddItem.
type ItemInput struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unitPrice"`
	// Discount is optional; nil means no discount. It applies to the line as a
	// whole and may not exceed UnitPrice*Quantity.
	Discount *Money `json:"discount,omitempty"`
}

// discount returns the discount, or zero in currency when there is none, so
// events always carry an explicit discount.
func (it ItemInput) discount(currency string) Money {
	if it.Discount == nil {
		return Money{Currency: currency}
	}
	return *it.Discount
}

func (it ItemInput) toItem() Item {
	return Item{
		ProductID: it.ProductID,
		Name:      it.Name,
		Quantity:  it.Quantity,
		UnitPrice: it.UnitPrice,
		Discount:  it.discount(it.UnitPrice.Currency),
	}
}

// PlaceOrder asks to create an order, optionally with its first items.
type PlaceOrder struct {
	OrderID         string      `json:"orderId"`
	BuyerID         string      `json:"buyerId"`
	Currency        string      `json:"currency"`
	ShippingAddress Address     `json:"shippingAddress"`
	Items           []ItemInput `json:"items,omitempty"`
}

// Validate reports every problem of the command that can be seen without the
// order's state, joined; each is an *es.Error with code Invalid and the JSON
// path of the field. A product may appear only once in Items: a list with
// duplicates is ambiguous about the intended discount and name.
func (c PlaceOrder) Validate() error {
	var p problems
	p.id("orderId", c.OrderID)
	p.id("buyerId", c.BuyerID)
	currency := ""
	if p.currency("currency", c.Currency) {
		currency = c.Currency
	}
	a := c.ShippingAddress
	p.text("shippingAddress.street", a.Street, MaxStreetLength, true)
	p.text("shippingAddress.city", a.City, MaxCityLength, true)
	validatePostalCode(&p, "shippingAddress.postalCode", a.PostalCode)
	validateCountry(&p, "shippingAddress.country", a.Country)
	if len(c.Items) > MaxItems {
		// Validating thousands of items would only produce thousands of errors.
		p.add(RuleTooManyItems, "items", "must have at most %d items, got %d", MaxItems, len(c.Items))
		return p.err()
	}
	seen := make(map[string]int, len(c.Items))
	for i, it := range c.Items {
		prefix := fmt.Sprintf("items[%d].", i)
		p.item(prefix, it, currency)
		if first, dup := seen[it.ProductID]; dup {
			p.add(RuleDuplicateItem, prefix+"productId", "product %q already appears at items[%d]", it.ProductID, first)
		} else if it.ProductID != "" {
			seen[it.ProductID] = i
		}
	}
	if len(p.errs) == 0 {
		if _, err := sumItems(c.Items, c.Currency); err != nil {
			p.add(RuleAmountOverflow, "items", "the order total would exceed %d minor units", MaxAmount)
		}
	}
	return p.err()
}

func validatePostalCode(p *problems, field, v string) {
	if !p.text(field, v, MaxPostalCodeLength, true) {
		return
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ' || r == '-') {
			p.add(RuleFormat, field, "may contain only letters, digits, spaces and hyphens")
			return
		}
	}
}

// validateCountry accepts the shape of an ISO 3166-1 alpha-2 code; like
// currencies, the list of codes is left to the carriers.
func validateCountry(p *problems, field, v string) {
	if v == "" {
		p.add(RuleRequired, field, "is required")
		return
	}
	if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' {
		p.add(RuleFormat, field, "must be an ISO 3166-1 alpha-2 code of two upper-case letters")
	}
}

// sumItems returns the total of valid items, failing if it exceeds MaxAmount.
func sumItems(items []ItemInput, currency string) (Money, error) {
	total := Money{Currency: currency}
	for _, it := range items {
		line := it.toItem()
		gross, err := line.UnitPrice.Mul(int64(line.Quantity))
		if err != nil {
			return Money{}, err
		}
		net, err := gross.Sub(line.Discount)
		if err != nil {
			return Money{}, err
		}
		if total, err = total.Add(net); err != nil {
			return Money{}, err
		}
		if total.Amount > MaxAmount {
			return Money{}, ErrOverflow
		}
	}
	return total, nil
}

// Place records OrderPlaced for an order that does not exist yet. It returns
// Invalid errors from Validate, Invalid with RuleIDMismatch if cmd.OrderID is
// not the order's id, and Conflict with RuleAlreadyPlaced if the order exists
// (whatever its status, so an order id is never reused).
func (o *Order) Place(cmd PlaceOrder, now time.Time) error {
	if err := cmd.Validate(); err != nil {
		return err
	}
	if cmd.OrderID != o.id {
		return idMismatch(cmd.OrderID, o.id)
	}
	if o.Exists() {
		return es.Errorf(es.Conflict, RuleAlreadyPlaced, "order %s already exists", o.id)
	}
	items := make([]Item, 0, len(cmd.Items))
	for _, it := range cmd.Items {
		items = append(items, it.toItem())
	}
	return o.root.Record(OrderPlaced{
		OrderID:         cmd.OrderID,
		BuyerID:         cmd.BuyerID,
		Currency:        cmd.Currency,
		ShippingAddress: cmd.ShippingAddress,
		Items:           items,
		PlacedAt:        now.UTC(),
	})
}
