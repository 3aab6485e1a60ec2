package contracts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// Errors of Map. Both are permanent for the event: mapping it again gives the
// same answer, so the caller parks it instead of retrying.
var (
	// ErrNoRule reports a domain event type with no publishing decision, such
	// as a new event added to the domain without a rule here. Publishing
	// nothing for it would drop it silently, so it is an error.
	ErrNoRule = errors.New("no publishing rule for the event type")
	// ErrInvalidEvent reports an event that cannot become a valid message:
	// a payload of the wrong Go type, ids that are missing, too long or not
	// printable, an order id that differs from the stream's, missing state.
	ErrInvalidEvent = errors.New("event cannot be mapped to its contract")
)

// MaxIDLength bounds the message id, order id, correlation id and causation
// id in bytes: Service Bus refuses longer MessageId, SessionId and
// CorrelationId values.
const MaxIDLength = 128

// Source is what a mapping reads.
type Source struct {
	Event es.Envelope
	// State is the order after Event. Map requires it for a rule with
	// NeedsState and ignores it otherwise.
	State *order.State
}

// Rule is the publishing decision for one domain event type. The zero Rule
// marks an event type as internal: known and deliberately not published.
type Rule struct {
	// Contract is the name of the message the event becomes.
	Contract string
	// NeedsState is set when the message carries the order's state after
	// the event (items and total), which the event alone does not hold.
	NeedsState bool
	// build returns the order id the payload names and the payload.
	build func(Source) (string, any, error)
}

// Internal reports whether events under the rule are left out.
func (r Rule) Internal() bool { return r.Contract == "" }

// Table maps domain event types to rules.
type Table map[string]Rule

// OrdersV1 returns the v1 rules for every order event type. Every order event
// is published: item-level edits (order.item_added, order.item_removed)
// become OrderChanged with the order's items and total after the edit.
func OrdersV1() Table {
	return Table{
		order.EventOrderPlaced:    {Contract: OrderPlacedV1, build: orderPlaced},
		order.EventItemAdded:      {Contract: OrderChangedV1, NeedsState: true, build: itemAdded},
		order.EventItemRemoved:    {Contract: OrderChangedV1, NeedsState: true, build: itemRemoved},
		order.EventOrderPaid:      {Contract: OrderPaidV1, build: orderPaid},
		order.EventOrderShipped:   {Contract: OrderShippedV1, build: orderShipped},
		order.EventOrderCancelled: {Contract: OrderCancelledV1, build: orderCancelled},
	}
}

// Map returns the message for src.Event, or published == false for an
// internal event. Errors wrap ErrNoRule or ErrInvalidEvent.
func (t Table) Map(src Source) (msg Message, published bool, err error) {
	e := src.Event
	rule, ok := t[e.Type]
	if !ok {
		return Message{}, false, fmt.Errorf("%w: %q", ErrNoRule, e.Type)
	}
	if rule.Internal() {
		return Message{}, false, nil
	}
	streamOrder, err := checkEnvelope(e)
	if err != nil {
		return Message{}, false, err
	}
	if rule.NeedsState && (src.State == nil || src.State.OrderID != streamOrder) {
		return Message{}, false, fmt.Errorf("%w: %s needs the state of order %q", ErrInvalidEvent, rule.Contract, streamOrder)
	}
	orderID, payload, err := rule.build(src)
	if err != nil {
		return Message{}, false, err
	}
	if orderID != streamOrder {
		return Message{}, false, fmt.Errorf("%w: payload names order %q in stream %q", ErrInvalidEvent, orderID, e.StreamID)
	}
	body, err := encode(payload)
	if err != nil {
		return Message{}, false, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	return Message{
		ID:            e.EventID,
		Contract:      rule.Contract,
		OrderID:       orderID,
		CorrelationID: e.CorrelationID,
		CausationID:   e.CausationID,
		OccurredAt:    e.OccurredAt.UTC(),
		StreamVersion: e.Version,
		Body:          body,
	}, true, nil
}

// checkEnvelope checks the ids a message carries and returns the order id of
// the event's stream.
func checkEnvelope(e es.Envelope) (string, error) {
	orderID, ok := strings.CutPrefix(e.StreamID, order.StreamPrefix)
	if !ok || e.Version < 1 {
		return "", fmt.Errorf("%w: %s@%d is not an order stream position", ErrInvalidEvent, e.StreamID, e.Version)
	}
	for _, id := range []struct {
		name, value string
		required    bool
	}{
		{"event id", e.EventID, true},
		{"order id", orderID, true},
		{"correlation id", e.CorrelationID, false},
		{"causation id", e.CausationID, false},
	} {
		if err := checkID(id.value, id.required); err != nil {
			return "", fmt.Errorf("%w: %s %q %v", ErrInvalidEvent, id.name, id.value, err)
		}
	}
	return orderID, nil
}

// checkID accepts printable ASCII up to MaxIDLength bytes: every transport can
// carry that in a header or property unchanged.
func checkID(id string, required bool) error {
	switch {
	case id == "" && required:
		return errors.New("is missing")
	case len(id) > MaxIDLength:
		return fmt.Errorf("is longer than %d bytes", MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return errors.New("has a byte that is not printable ASCII")
		}
	}
	return nil
}

// payloadOf returns the event's payload as T, the type its rule expects.
func payloadOf[T es.Payload](src Source) (T, error) {
	p, ok := src.Event.Payload.(T)
	if !ok {
		var want T
		return want, fmt.Errorf("%w: %s carries a %T payload, want %T", ErrInvalidEvent, src.Event.Type, src.Event.Payload, want)
	}
	return p, nil
}

// encode marshals v without Go's HTML escaping: bodies are not embedded in
// HTML, and "<" as "\u003c" would take six bytes of a size-limited message.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
