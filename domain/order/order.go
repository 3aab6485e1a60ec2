package order

import (
	"slices"
	"strings"
	"time"

	"orderctx/domain/es"
)

// Status is the lifecycle state of an order.
type Status string

// Statuses. The lifecycle is submitted -> paid -> shipped, with cancelled
// reachable from submitted and paid; shipped and cancelled are final.
const (
	// StatusNone is the status of an order that has not been placed.
	StatusNone Status = ""
	// StatusSubmitted is a placed order whose items may still change.
	StatusSubmitted Status = "submitted"
	// StatusPaid is an order paid in full; its items are final.
	StatusPaid Status = "paid"
	// StatusShipped is an order handed to a carrier; nothing changes any more.
	StatusShipped Status = "shipped"
	// StatusCancelled is a cancelled order; nothing changes any more.
	StatusCancelled Status = "cancelled"
)

// StreamPrefix starts the stream id of every order, so that other aggregate
// types can share the events container without colliding ids.
const StreamPrefix = "order-"

// Snapshot identification: a snapshot of another type or state schema is not
// restored (the loader replays the stream instead).
const (
	// SnapshotType is the es.Snapshot.AggregateType of orders.
	SnapshotType = "order"
	// SnapshotSchemaVersion is the version of the State JSON shape.
	SnapshotSchemaVersion = 1
)

// StreamID returns the event stream id of an order.
func StreamID(orderID string) string { return StreamPrefix + orderID }

// Address is a shipping address.
type Address struct {
	Street     string `json:"street"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	// Country is an ISO 3166-1 alpha-2 code.
	Country string `json:"country"`
}

// Item is one line of an order: a product, its quantity and prices.
type Item struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unitPrice"`
	// Discount is taken off the line as a whole, not per unit.
	Discount Money `json:"discount"`
}

// LineTotal returns UnitPrice*Quantity - Discount. Commands guarantee that it
// fits in 0..MaxAmount for every item of an order.
func (i Item) LineTotal() Money {
	return Money{Amount: i.UnitPrice.Amount*int64(i.Quantity) - i.Discount.Amount, Currency: i.UnitPrice.Currency}
}

// Payment describes how an order was paid.
type Payment struct {
	Reference string    `json:"reference"`
	Amount    Money     `json:"amount"`
	PaidAt    time.Time `json:"paidAt"`
}

// Shipment describes how an order was shipped.
type Shipment struct {
	Carrier        string    `json:"carrier"`
	TrackingNumber string    `json:"trackingNumber"`
	ShippedAt      time.Time `json:"shippedAt"`
}

// Cancellation describes why an order was cancelled and whether money is owed.
type Cancellation struct {
	Reason      string    `json:"reason"`
	RefundDue   *Money    `json:"refundDue,omitempty"`
	CancelledAt time.Time `json:"cancelledAt"`
}

// State is a copy of everything an order knows. It is also the JSON shape of
// the order's snapshots (SnapshotSchemaVersion).
type State struct {
	OrderID         string        `json:"orderId"`
	BuyerID         string        `json:"buyerId"`
	Currency        string        `json:"currency"`
	ShippingAddress Address       `json:"shippingAddress"`
	Items           []Item        `json:"items"`
	Total           Money         `json:"total"`
	Status          Status        `json:"status"`
	PlacedAt        time.Time     `json:"placedAt"`
	Payment         *Payment      `json:"payment,omitempty"`
	Shipment        *Shipment     `json:"shipment,omitempty"`
	Cancellation    *Cancellation `json:"cancellation,omitempty"`
}

// clone returns a deep copy, with Items never nil, so that two equal states
// compare equal whichever way they were built (events, snapshot JSON).
func (s State) clone() State {
	c := s
	c.Items = append(make([]Item, 0, len(s.Items)), s.Items...)
	if s.Payment != nil {
		p := *s.Payment
		c.Payment = &p
	}
	if s.Shipment != nil {
		sh := *s.Shipment
		c.Shipment = &sh
	}
	if s.Cancellation != nil {
		cn := *s.Cancellation
		if cn.RefundDue != nil {
			r := *cn.RefundDue
			cn.RefundDue = &r
		}
		c.Cancellation = &cn
	}
	return c
}

// Order is the order aggregate. Its fields are unexported: state changes only
// through command methods, which check the rules and record events, and apply,
// which is the single place that mutates state. Use it through a pointer only.
type Order struct {
	id    string
	root  es.Base
	state State
}

var (
	_ es.Aggregate   = (*Order)(nil)
	_ es.Snapshotter = (*Order)(nil)
)

// New returns an order that has not been placed yet, the starting point for
// Place and for loading.
func New(orderID string) *Order {
	o := &Order{id: orderID}
	o.root = es.NewBase(StreamID(orderID), o.apply)
	o.state.Items = []Item{}
	return o
}

// Load rebuilds an order from its stream's events. An empty history yields an
// order that does not exist yet: Place succeeds on it, every other command
// returns a NotFound error.
func Load(orderID string, history []es.Envelope) (*Order, error) {
	o := New(orderID)
	if err := o.root.LoadFromHistory(history); err != nil {
		return nil, err
	}
	return o, nil
}

// FromSnapshot rebuilds an order from a snapshot and the events that follow it.
// An unusable snapshot yields an error wrapping es.ErrSnapshotIncompatible;
// the caller then uses Load with the whole stream.
func FromSnapshot(s es.Snapshot, following []es.Envelope) (*Order, error) {
	id, ok := strings.CutPrefix(s.StreamID, StreamPrefix)
	if !ok {
		return nil, es.ErrSnapshotIncompatible
	}
	o := New(id)
	var st State
	if err := o.root.RestoreSnapshot(s, SnapshotType, SnapshotSchemaVersion, &st); err != nil {
		return nil, err
	}
	if st.OrderID != id || st.Status == StatusNone {
		return nil, es.ErrSnapshotIncompatible
	}
	o.state = st.clone()
	if err := o.root.LoadFromHistory(following); err != nil {
		return nil, err
	}
	return o, nil
}

// Clone returns an independent copy of the order, pending events included:
// deciding on the copy never changes the original. A state cache keeps one
// committed order per stream and decides every command on a clone of it.
func (o *Order) Clone() *Order {
	c := &Order{id: o.id, state: o.state.clone()}
	c.root = o.root.CloneFor(c.apply)
	return c
}

// ID returns the order id.
func (o *Order) ID() string { return o.id }

// StreamID returns the order's event stream id.
func (o *Order) StreamID() string { return o.root.StreamID() }

// Version returns the stream version including pending events.
func (o *Order) Version() int64 { return o.root.Version() }

// CommittedVersion returns the version of the last stored event.
func (o *Order) CommittedVersion() int64 { return o.root.CommittedVersion() }

// Pending returns the events recorded by commands and not yet committed.
func (o *Order) Pending() []es.Payload { return o.root.Pending() }

// MarkCommitted forgets the pending events after the store appended them.
func (o *Order) MarkCommitted() { o.root.MarkCommitted() }

// Exists reports whether the order has been placed.
func (o *Order) Exists() bool { return o.state.Status != StatusNone }

// Status returns the lifecycle status.
func (o *Order) Status() Status { return o.state.Status }

// Total returns the sum of all line totals, in the order's currency.
func (o *Order) Total() Money { return o.state.Total }

// Items returns a copy of the order's lines in the order they were added.
func (o *Order) Items() []Item { return slices.Clone(o.state.Items) }

// State returns a deep copy of the order's state.
func (o *Order) State() State { return o.state.clone() }

// Snapshot returns the committed state as a snapshot.
func (o *Order) Snapshot() (es.Snapshot, error) {
	if !o.Exists() {
		return es.Snapshot{}, notFound(o.id)
	}
	return o.root.TakeSnapshot(SnapshotType, SnapshotSchemaVersion, o.state)
}

func (o *Order) item(productID string) (int, bool) {
	i := slices.IndexFunc(o.state.Items, func(it Item) bool { return it.ProductID == productID })
	return i, i >= 0
}

func (o *Order) recomputeTotal() {
	total := Money{Currency: o.state.Currency}
	for _, it := range o.state.Items {
		total.Amount += it.LineTotal().Amount
	}
	o.state.Total = total
}

// apply is the only code that changes an order's state. It trusts that commands
// checked the business rules, and refuses only events that cannot apply to the
// current state at all, which means the stream is corrupt.
func (o *Order) apply(p es.Payload) error {
	if _, placed := p.(OrderPlaced); !placed && !o.Exists() {
		return es.Errorf(es.Internal, RuleCorruptHistory, "%s before %s", p.EventType(), EventOrderPlaced)
	}
	switch e := p.(type) {
	case OrderPlaced:
		if o.Exists() {
			return es.Errorf(es.Internal, RuleCorruptHistory, "%s twice", EventOrderPlaced)
		}
		o.state = State{
			OrderID:         e.OrderID,
			BuyerID:         e.BuyerID,
			Currency:        e.Currency,
			ShippingAddress: e.ShippingAddress,
			Items:           append(make([]Item, 0, len(e.Items)), e.Items...),
			Status:          StatusSubmitted,
			PlacedAt:        e.PlacedAt,
		}
	case ItemAdded:
		if i, ok := o.item(e.ProductID); ok {
			line := &o.state.Items[i]
			line.Quantity += e.Quantity
			line.Discount.Amount += e.Discount.Amount
		} else {
			o.state.Items = append(o.state.Items, Item{
				ProductID: e.ProductID,
				Name:      e.Name,
				Quantity:  e.Quantity,
				UnitPrice: e.UnitPrice,
				Discount:  e.Discount,
			})
		}
	case ItemRemoved:
		i, ok := o.item(e.ProductID)
		if !ok {
			return es.Errorf(es.Internal, RuleCorruptHistory, "%s of unknown product %q", EventItemRemoved, e.ProductID)
		}
		o.state.Items = slices.Delete(o.state.Items, i, i+1)
	case OrderPaid:
		o.state.Status = StatusPaid
		o.state.Payment = &Payment{Reference: e.PaymentReference, Amount: e.Amount, PaidAt: e.PaidAt}
	case OrderShipped:
		o.state.Status = StatusShipped
		o.state.Shipment = &Shipment{Carrier: e.Carrier, TrackingNumber: e.TrackingNumber, ShippedAt: e.ShippedAt}
	case OrderCancelled:
		c := &Cancellation{Reason: e.Reason, CancelledAt: e.CancelledAt}
		if e.RefundDue != nil {
			r := *e.RefundDue
			c.RefundDue = &r
		}
		o.state.Status = StatusCancelled
		o.state.Cancellation = c
	default:
		return es.Errorf(es.Internal, RuleCorruptHistory, "order cannot apply %s (%T)", p.EventType(), p)
	}
	o.recomputeTotal()
	return nil
}

// requirePlaced returns NotFound for an order that has not been placed.
func (o *Order) requirePlaced() error {
	if !o.Exists() {
		return notFound(o.id)
	}
	return nil
}

// requireOpen returns nil only for a submitted order: the one state in which
// items and payment may still change.
func (o *Order) requireOpen(action string) error {
	switch o.state.Status {
	case StatusSubmitted:
		return nil
	case StatusPaid:
		return es.Errorf(es.Rejected, RuleAlreadyPaid, "cannot %s: order %s is already paid", action, o.id)
	case StatusShipped:
		return es.Errorf(es.Rejected, RuleAlreadyShipped, "cannot %s: order %s has already shipped", action, o.id)
	case StatusCancelled:
		return es.Errorf(es.Rejected, RuleAlreadyCancelled, "cannot %s: order %s is cancelled", action, o.id)
	default:
		return notFound(o.id)
	}
}
