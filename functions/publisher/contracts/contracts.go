package contracts

import "time"

// Contract names: the NATS subject and the Service Bus Subject of a message.
// They never change; a new shape gets a new version.
const (
	OrderPlacedV1    = "orders.v1.OrderPlaced"
	OrderChangedV1   = "orders.v1.OrderChanged"
	OrderPaidV1      = "orders.v1.OrderPaid"
	OrderShippedV1   = "orders.v1.OrderShipped"
	OrderCancelledV1 = "orders.v1.OrderCancelled"
)

// ContentType is the content type of every message body.
const ContentType = "application/json"

// Names returns the names of every published contract.
func Names() []string {
	return []string{OrderPlacedV1, OrderChangedV1, OrderPaidV1, OrderShippedV1, OrderCancelledV1}
}

// Message is one integration event ready for a bus: the envelope fields every
// transport carries (as NATS headers or Service Bus properties) and the JSON
// body of the contract.
type Message struct {
	// ID is the source event's id, so a broker with de-duplication drops a
	// message published twice.
	ID string
	// Contract is the contract name, such as OrderPlacedV1.
	Contract string
	// OrderID is the ordering key: messages of one order keep their order.
	OrderID string
	// CorrelationID ties the message to the user request behind it.
	CorrelationID string
	// CausationID names the message that caused the command behind the event.
	CausationID string
	// OccurredAt is when the source event was recorded.
	OccurredAt time.Time
	// StreamVersion is the source event's 1-based position in the order's
	// stream. Every order event is published, so it runs 1, 2, 3, ... per
	// order; a gap means an event is parked.
	StreamVersion int64
	// Body is the contract payload as JSON (ContentType).
	Body []byte
}

// Money is an amount in integer minor units (cents for EUR, yen for JPY) of
// an ISO 4217 currency.
type Money struct {
	AmountMinor int64  `json:"amountMinor"`
	Currency    string `json:"currency"`
}

// Address is a postal address; Country is ISO 3166-1 alpha-2.
type Address struct {
	Street     string `json:"street"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

// Item is one line of an order. LineTotal is UnitPrice*Quantity - Discount.
type Item struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unitPrice"`
	Discount  Money  `json:"discount"`
	LineTotal Money  `json:"lineTotal"`
}
