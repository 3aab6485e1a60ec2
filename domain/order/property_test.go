package order_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
)

// TestRandomCommandSequences runs thousands of random command sequences and
// checks after every command that the invariants hold, that a rejected command
// changed nothing, and that replaying the recorded (JSON-encoded) events or
// restoring a snapshot yields the same state.
func TestRandomCommandSequences(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(20250301, 42))
	reg := newRegistry(t)
	const sequences = 3000
	stats := map[string]int{}
	for seq := range sequences {
		s := &sequence{t: t, rng: rng, reg: reg, seq: seq, order: order.New(oid), clock: es.NewFixedClock(t0), stats: stats}
		s.wide = rng.IntN(25) == 0
		steps := 1 + rng.IntN(40)
		if s.wide {
			steps = 500
		}
		for step := range steps {
			s.step(step)
			if t.Failed() {
				t.Fatalf("sequence %d failed at step %d; commands so far:\n%s", seq, step, strings.Join(s.log, "\n"))
			}
		}
		s.checkReplay()
	}
	// The generator must reach every status and rule often enough to matter.
	for _, key := range []string{
		"ok " + order.EventOrderPlaced, "ok " + order.EventItemAdded, "ok " + order.EventItemRemoved,
		"ok " + order.EventOrderPaid, "ok " + order.EventOrderShipped, "ok " + order.EventOrderCancelled,
		"refund due", order.RuleAlreadyPaid, order.RuleAlreadyShipped, order.RuleAlreadyCancelled,
		order.RuleNotPaid, order.RuleEmpty, order.RuleAmountMismatch, order.RuleUnitPriceMismatch,
		order.RuleAmountOverflow, order.RuleTooManyItems, order.RuleItemNotFound, order.RuleNotFound,
		order.RuleAlreadyPlaced, order.RuleQuantityRange, order.RuleDiscountExceedsLine, order.RuleCurrencyMismatch,
	} {
		if stats[key] < 10 {
			t.Errorf("%q happened only %d times", key, stats[key])
		}
	}
	if testing.Verbose() {
		t.Logf("outcomes: %v", stats)
	}
}

type sequence struct {
	t     *testing.T
	rng   *rand.Rand
	reg   *es.Registry
	seq   int
	wide  bool
	order *order.Order
	clock *es.FixedClock
	stats map[string]int
	log   []string

	stored  []es.EncodedEvent
	decoded []es.Envelope
	// paidItems are the items at the moment of payment; nil before payment.
	paidItems []order.Item
}

// basePrices gives each product a usual price, so that re-adding a product
// usually merges and sometimes hits the unit price rule.
var basePrices = []int64{0, 1, 99, 1000, 2500, order.MaxAmount / 3, order.MaxAmount}

func (s *sequence) productID() string {
	n := 6
	if s.wide {
		n = order.MaxItems + 20
	}
	return fmt.Sprintf("p-%d", s.rng.IntN(n))
}

func (s *sequence) priceOf(pid string) int64 {
	var n int
	fmt.Sscanf(pid, "p-%d", &n)
	if s.wide {
		return 100 + int64(n)
	}
	return basePrices[n%len(basePrices)]
}

func (s *sequence) pick(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := s.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

func (s *sequence) quantity() int {
	switch s.pick(85, 5, 5, 5) {
	case 0:
		return 1 + s.rng.IntN(5)
	case 1:
		return 0
	case 2:
		return order.MaxQuantity - s.rng.IntN(3)
	default:
		return order.MaxQuantity + 1
	}
}

func (s *sequence) itemInput() order.ItemInput {
	pid := s.productID()
	it := order.ItemInput{ProductID: pid, Name: "Product " + pid, Quantity: s.quantity(), UnitPrice: eur(s.priceOf(pid))}
	switch s.pick(80, 10, 5, 5) {
	case 1:
		it.UnitPrice.Amount++
	case 2:
		it.UnitPrice.Currency = "USD"
	case 3:
		it.UnitPrice.Amount = -1
	}
	gross := it.UnitPrice.Amount * int64(max(it.Quantity, 0))
	switch s.pick(50, 30, 10, 10) {
	case 1:
		if gross > 0 {
			it.Discount = eurPtr(s.rng.Int64N(gross + 1))
		}
	case 2:
		it.Discount = eurPtr(gross + 1)
	case 3:
		if gross >= 0 {
			it.Discount = eurPtr(gross)
		}
	}
	if s.pick(95, 5) == 1 {
		it.ProductID = "bad id"
	}
	return it
}

func (s *sequence) orderID() string {
	if s.pick(97, 3) == 1 {
		return "o-2"
	}
	return oid
}

// command returns a random command, valid more often than not.
func (s *sequence) command() (string, func(o *order.Order, now time.Time) error) {
	exists := s.order.Exists()
	placeWeight := 2
	if !exists {
		placeWeight = 60
	}
	weights := []int{placeWeight, 40, 12, 14, 8, 5}
	if s.wide {
		// Wide sequences fill orders up to MaxItems before they end.
		weights = []int{placeWeight, 400, 2, 1, 1, 1}
	}
	switch s.pick(weights...) {
	case 0:
		c := placeCmd()
		for range s.rng.IntN(4) {
			c.Items = append(c.Items, s.itemInput())
		}
		if s.pick(90, 10) == 1 {
			c.ShippingAddress.PostalCode = ""
		}
		c.OrderID = s.orderID()
		return fmt.Sprintf("Place(%+v)", c), func(o *order.Order, now time.Time) error { return o.Place(c, now) }
	case 1:
		c := order.AddItem{OrderID: s.orderID(), ItemInput: s.itemInput()}
		return fmt.Sprintf("AddItem(%+v)", c), func(o *order.Order, _ time.Time) error { return o.AddItem(c) }
	case 2:
		pid := s.productID()
		if items := s.order.Items(); len(items) > 0 && s.pick(30, 70) == 1 {
			pid = items[s.rng.IntN(len(items))].ProductID
		}
		c := order.RemoveItem{OrderID: s.orderID(), ProductID: pid}
		return fmt.Sprintf("RemoveItem(%+v)", c), func(o *order.Order, _ time.Time) error { return o.RemoveItem(c) }
	case 3:
		c := payCmd(s.order.Total().Amount)
		c.OrderID = s.orderID()
		switch s.pick(75, 10, 5, 5, 5) {
		case 1:
			c.Amount.Amount += int64(s.rng.IntN(3)) - 1
		case 2:
			c.Amount.Currency = "USD"
		case 3:
			c.Amount.Amount = -1
		case 4:
			c.PaymentReference = ""
		}
		return fmt.Sprintf("Pay(%+v)", c), func(o *order.Order, now time.Time) error { return o.Pay(c, now) }
	case 4:
		c := shipCmd()
		c.OrderID = s.orderID()
		if s.pick(95, 5) == 1 {
			c.Carrier = " "
		}
		return fmt.Sprintf("Ship(%+v)", c), func(o *order.Order, now time.Time) error { return o.Ship(c, now) }
	default:
		c := cancelCmd()
		c.OrderID = s.orderID()
		if s.pick(95, 5) == 1 {
			c.Reason = ""
		}
		return fmt.Sprintf("Cancel(%+v)", c), func(o *order.Order, now time.Time) error { return o.Cancel(c, now) }
	}
}

// legal lists the status changes a successful command may make.
var legal = map[[2]order.Status]bool{
	{order.StatusNone, order.StatusSubmitted}:      true,
	{order.StatusSubmitted, order.StatusSubmitted}: true,
	{order.StatusSubmitted, order.StatusPaid}:      true,
	{order.StatusSubmitted, order.StatusCancelled}: true,
	{order.StatusPaid, order.StatusShipped}:        true,
	{order.StatusPaid, order.StatusCancelled}:      true,
}

func (s *sequence) step(step int) {
	t := s.t
	name, cmd := s.command()
	s.log = append(s.log, fmt.Sprintf("  %d: %s", step, name))
	last := &s.log[len(s.log)-1]
	before := s.order.State()
	beforeVersion := s.order.Version()
	err := cmd(s.order, s.clock.Advance(time.Second))
	if err != nil {
		*last += fmt.Sprintf(" -> %v", err)
		s.stats[es.ErrorRule(err)]++
		all := es.AllErrors(err)
		if len(all) == 0 || es.ErrorCode(err) == es.Internal || es.ErrorRule(err) == "" {
			t.Errorf("not a domain error with a rule: %v", err)
		}
		for _, e := range all {
			if e.Code == es.Invalid && e.Field == "" {
				t.Errorf("invalid error without a field: %v", e)
			}
		}
		if len(s.order.Pending()) != 0 || s.order.Version() != beforeVersion {
			t.Errorf("rejected command recorded events")
		}
		if !reflect.DeepEqual(s.order.State(), before) {
			t.Errorf("rejected command changed the state")
		}
		return
	}
	pending := s.order.Pending()
	if len(pending) != 1 {
		t.Fatalf("accepted command recorded %d events", len(pending))
	}
	*last += " -> " + pending[0].EventType()
	s.stats["ok "+pending[0].EventType()]++
	after := s.order.State()
	if !legal[[2]order.Status{before.Status, after.Status}] {
		t.Errorf("illegal transition %q -> %q", before.Status, after.Status)
	}
	if before.Status != order.StatusSubmitted && !reflect.DeepEqual(before.Items, after.Items) && before.Status != order.StatusNone {
		t.Errorf("items changed in status %q", before.Status)
	}
	if s.paidItems != nil && !reflect.DeepEqual(s.paidItems, after.Items) {
		t.Errorf("items changed after payment:\n%+v\n%+v", s.paidItems, after.Items)
	}
	if p, ok := pending[0].(order.OrderPaid); ok {
		if len(before.Items) == 0 || p.Amount != before.Total {
			t.Errorf("paid %v for %d items totalling %v", p.Amount, len(before.Items), before.Total)
		}
		s.paidItems = slices.Clone(after.Items)
	}
	if c, ok := pending[0].(order.OrderCancelled); ok && c.RefundDue != nil {
		s.stats["refund due"]++
	}
	s.commit()
	checkInvariants(t, after)
	// Long (wide) sequences are checked less often to keep the test fast; the
	// final state of every sequence is checked in any case.
	if len(s.decoded) <= 50 || len(s.decoded)%50 == 0 {
		s.checkReplay()
	}
}

// commit plays the store: stamp, encode to JSON, decode (and upcast) again.
func (s *sequence) commit() {
	t := s.t
	envs, err := s.reg.Stamp(s.order.StreamID(), s.order.CommittedVersion(), s.order.Pending(), es.Causation{CommandID: "c"}, s.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		enc, err := s.reg.EncodeEnvelope(e)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(enc)
		if err != nil {
			t.Fatal(err)
		}
		var back es.EncodedEvent
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		dec, err := s.reg.DecodeEvent(back)
		if err != nil {
			t.Fatal(err)
		}
		s.stored = append(s.stored, back)
		s.decoded = append(s.decoded, dec)
	}
	s.order.MarkCommitted()
}

// checkReplay rebuilds the order from its events, from a snapshot of the
// current state, and from a snapshot at a random earlier version plus the
// events after it; all must equal the live state.
func (s *sequence) checkReplay() {
	t := s.t
	if len(s.decoded) == 0 {
		return
	}
	want := s.order.State()
	replayed, err := order.Load(oid, s.decoded)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if got := replayed.State(); !reflect.DeepEqual(got, want) || replayed.Version() != s.order.Version() {
		t.Fatalf("replayed state differs:\n got %+v\nwant %+v", got, want)
	}
	snap, err := s.order.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	restored, err := order.FromSnapshot(snapshotThroughJSON(t, snap), nil)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if got := restored.State(); !reflect.DeepEqual(got, want) || restored.Version() != s.order.Version() {
		t.Fatalf("restored state differs:\n got %+v\nwant %+v", got, want)
	}
	at := 1 + s.rng.IntN(len(s.decoded))
	partial, err := order.Load(oid, s.decoded[:at])
	if err != nil {
		t.Fatal(err)
	}
	earlier, err := partial.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := order.FromSnapshot(earlier, s.decoded[at:])
	if err != nil {
		t.Fatalf("restore at %d: %v", at, err)
	}
	if got := resumed.State(); !reflect.DeepEqual(got, want) {
		t.Fatalf("state from snapshot at %d differs:\n got %+v\nwant %+v", at, got, want)
	}
}

func snapshotThroughJSON(t *testing.T, s es.Snapshot) es.Snapshot {
	t.Helper()
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back es.Snapshot
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func checkInvariants(t *testing.T, s order.State) {
	t.Helper()
	if s.Status == order.StatusNone {
		t.Fatalf("accepted command left the order unplaced")
	}
	if len(s.Items) > order.MaxItems {
		t.Errorf("%d items", len(s.Items))
	}
	seen := map[string]bool{}
	total := order.Money{Currency: s.Currency}
	for i, it := range s.Items {
		if seen[it.ProductID] {
			t.Errorf("items[%d]: product %s twice", i, it.ProductID)
		}
		seen[it.ProductID] = true
		if it.Quantity < 1 || it.Quantity > order.MaxQuantity {
			t.Errorf("items[%d]: quantity %d", i, it.Quantity)
		}
		if it.UnitPrice.Currency != s.Currency || it.Discount.Currency != s.Currency {
			t.Errorf("items[%d]: currency %s/%s in a %s order", i, it.UnitPrice.Currency, it.Discount.Currency, s.Currency)
		}
		gross, err := it.UnitPrice.Mul(int64(it.Quantity))
		if err != nil || it.UnitPrice.Amount < 0 || it.Discount.Amount < 0 || it.Discount.Amount > gross.Amount || gross.Amount > order.MaxAmount {
			t.Errorf("items[%d]: %+v out of bounds", i, it)
		}
		if total, err = total.Add(it.LineTotal()); err != nil {
			t.Errorf("total overflows: %v", err)
		}
	}
	if total != s.Total || s.Total.Amount < 0 || s.Total.Amount > order.MaxAmount {
		t.Errorf("total %v, sum of lines %v", s.Total, total)
	}
	paidStatus := s.Status == order.StatusPaid || s.Status == order.StatusShipped ||
		(s.Status == order.StatusCancelled && s.Cancellation != nil && s.Cancellation.RefundDue != nil)
	if (s.Payment != nil) != paidStatus {
		t.Errorf("status %q with payment %+v", s.Status, s.Payment)
	}
	if s.Payment != nil && (len(s.Items) == 0 || s.Payment.Amount != s.Total) {
		t.Errorf("payment %v for %d items totalling %v", s.Payment.Amount, len(s.Items), s.Total)
	}
	if (s.Shipment != nil) != (s.Status == order.StatusShipped) {
		t.Errorf("status %q with shipment %+v", s.Status, s.Shipment)
	}
	if (s.Cancellation != nil) != (s.Status == order.StatusCancelled) {
		t.Errorf("status %q with cancellation %+v", s.Status, s.Cancellation)
	}
	if s.Cancellation != nil && s.Cancellation.RefundDue != nil && (s.Payment == nil || *s.Cancellation.RefundDue != s.Payment.Amount) {
		t.Errorf("refund due %v, paid %+v", *s.Cancellation.RefundDue, s.Payment)
	}
}
