package systembench

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// Operation kinds, as the report names them. The first group are the
// commands of an order's life, the second the deliberate refusals, the last
// the reads.
const (
	kindPlace     = "place"
	kindAddItem   = "add item"
	kindRemove    = "remove item"
	kindPay       = "pay"
	kindShip      = "ship"
	kindCancel    = "cancel"
	kindStale     = "stale If-Match (412)"
	kindDuplicate = "place again (409)"
	kindInvalid   = "invalid command (400)"
	kindGet       = "read by id"
	kindMinVer    = "read minVersion"
	kindList      = "list"
	kindReference = "query API no-op (reference)"
)

// commandKinds and readKinds fix the report's row order.
var (
	commandKinds = []string{kindPlace, kindAddItem, kindRemove, kindPay, kindShip, kindCancel, kindStale, kindDuplicate, kindInvalid}
	readKinds    = []string{kindGet, kindMinVer, kindList, kindReference}
)

// poolSize is how many orders a client has under way at once: its commands
// interleave over them, as a shop's requests do.
const poolSize = 4

// step is one request a client sends, and what it does to the client's
// picture of its orders when it gets the status it wants.
type step struct {
	kind          string
	read          bool
	method, path  string
	body, ifMatch string
	want          int
	order         *order
	// apply runs on the wanted status with the stream version the answer
	// carries (ETag), for commands.
	apply func(version int64)
}

// line is an order line the bench added.
type line struct {
	product  string
	quantity int64
	price    int64
}

// order is a client's picture of one of its orders: it is the only writer,
// so it knows the version and status of each.
type order struct {
	id      string
	version int64
	lines   []line
	plan    []string // the commands still to send, in order
	nextPID int
}

func (o *order) total() int64 {
	var t int64
	for _, l := range o.lines {
		t += l.quantity * l.price
	}
	return t
}

// client generates one closed-loop client's operations.
type client struct {
	id      int
	run     string
	r       *rand.Rand
	cfg     *Config
	seen    func(orderID string, version int64) bool
	pool    []*order
	done    []*order // ended orders, kept for reads by id (a ring)
	placed  int
	last    *order // the order of the client's last accepted command
	lastVer int64
}

// doneKept bounds the ended orders a client keeps for reads.
const doneKept = 64

func newClient(id int, run string, cfg *Config, seen func(string, int64) bool) *client {
	return &client{id: id, run: run, cfg: cfg, seen: seen, r: rand.New(rand.NewPCG(cfg.Seed, uint64(id)))}
}

// next draws the client's next request.
func (c *client) next() step {
	if c.r.Float64() < c.cfg.ReadShare {
		return c.read()
	}
	return c.command()
}

func (c *client) command() step {
	if len(c.pool) < poolSize {
		return c.place()
	}
	o := c.pool[c.r.IntN(len(c.pool))]
	x := c.r.Float64()
	switch {
	case x < c.cfg.ConflictShare/2:
		return c.stale(o)
	case x < c.cfg.ConflictShare:
		return c.placeAgain(o)
	case x < c.cfg.ConflictShare+c.cfg.InvalidShare:
		return c.invalid(o)
	}
	return c.lifecycle(o)
}

// place starts a new order with one or two lines and draws its plan: up to
// two more items, maybe one removed, then paid (9 in 10) or cancelled, and a
// paid order shipped (9 in 10) or cancelled.
func (c *client) place() step {
	c.placed++
	o := &order{id: fmt.Sprintf("sb-%s-%d-%d", c.run, c.id, c.placed)}
	for range 1 + c.r.IntN(2) {
		o.lines = append(o.lines, c.newLine(o))
	}
	for range c.r.IntN(3) {
		o.plan = append(o.plan, kindAddItem)
	}
	if c.r.IntN(2) == 0 {
		o.plan = append(o.plan, kindRemove)
	}
	switch {
	case c.r.IntN(10) == 0:
		o.plan = append(o.plan, kindCancel)
	case c.r.IntN(10) == 0:
		o.plan = append(o.plan, kindPay, kindCancel)
	default:
		o.plan = append(o.plan, kindPay, kindShip)
	}
	items := ""
	for i, l := range o.lines {
		if i > 0 {
			items += ","
		}
		items += itemJSON(l)
	}
	body := `{"orderId":"` + o.id + `","buyerId":"` + c.buyer() + `","currency":"EUR",` +
		`"shippingAddress":{"street":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"DE"},"items":[` + items + `]}`
	return step{kind: kindPlace, method: http.MethodPost, path: "/orders", body: body, want: http.StatusCreated, order: o,
		apply: func(v int64) { o.version = v; c.pool = append(c.pool, o) }}
}

// lifecycle sends o's next planned command; a line to remove is the last
// one, and only when another remains (an order keeps at least one line).
func (c *client) lifecycle(o *order) step {
	kind := o.plan[0]
	if kind == kindRemove && len(o.lines) < 2 {
		o.plan = o.plan[1:]
		kind = o.plan[0]
	}
	s := step{kind: kind, method: http.MethodPost, ifMatch: etag(o.version), want: http.StatusOK, order: o}
	advance := func(v int64) { o.version, o.plan = v, o.plan[1:]; c.endIfDone(o) }
	switch kind {
	case kindAddItem:
		l := c.newLine(o)
		s.path, s.body = "/orders/"+o.id+"/items", itemJSON(l)
		s.apply = func(v int64) { o.lines = append(o.lines, l); advance(v) }
	case kindRemove:
		s.method, s.path = http.MethodDelete, "/orders/"+o.id+"/items/"+o.lines[len(o.lines)-1].product
		s.apply = func(v int64) { o.lines = o.lines[:len(o.lines)-1]; advance(v) }
	case kindPay:
		s.path, s.body = "/orders/"+o.id+"/pay", `{"paymentReference":"psp-`+o.id+`","amount":`+strconv.FormatInt(o.total(), 10)+`}`
		s.apply = advance
	case kindShip:
		s.path, s.body = "/orders/"+o.id+"/ship", `{"carrier":"DHL","trackingNumber":"t-`+o.id+`"}`
		s.apply = advance
	default:
		s.path, s.body = "/orders/"+o.id+"/cancel", `{"reason":"the buyer changed their mind"}`
		s.apply = advance
	}
	return s
}

// endIfDone moves an order whose plan is done from the pool to the ring of
// ended orders.
func (c *client) endIfDone(o *order) {
	if len(o.plan) > 0 {
		return
	}
	for i, p := range c.pool {
		if p == o {
			c.pool = append(c.pool[:i], c.pool[i+1:]...)
			break
		}
	}
	if len(c.done) == doneKept {
		c.done = c.done[1:]
	}
	c.done = append(c.done, o)
}

// stale sends a command pinned to a version the order is not at: 412.
func (c *client) stale(o *order) step {
	return step{kind: kindStale, method: http.MethodPost, path: "/orders/" + o.id + "/items", body: itemJSON(line{"p-stale", 1, 100}),
		ifMatch: etag(o.version + 7), want: http.StatusPreconditionFailed}
}

// placeAgain places an order that exists, under a new idempotency key: 409.
func (c *client) placeAgain(o *order) step {
	body := `{"orderId":"` + o.id + `","buyerId":"` + c.buyer() + `","currency":"EUR",` +
		`"shippingAddress":{"street":"Hauptstraße 1","city":"Berlin","postalCode":"10115","country":"DE"},"items":[` + itemJSON(line{"p-1", 1, 100}) + `]}`
	return step{kind: kindDuplicate, method: http.MethodPost, path: "/orders", body: body, want: http.StatusConflict}
}

// invalid sends an item of quantity 0, which the API refuses before the store: 400.
func (c *client) invalid(o *order) step {
	return step{kind: kindInvalid, method: http.MethodPost, path: "/orders/" + o.id + "/items", body: itemJSON(line{"p-bad", 0, 100}),
		want: http.StatusBadRequest}
}

// read draws a read: the reference no-op (ReferenceShare), else by id
// (half), with minVersion after the client's last command (three in ten),
// or a listing (the rest, and whenever the drawn kind has no order to read
// yet).
func (c *client) read() step {
	if c.r.Float64() < c.cfg.ReferenceShare {
		return step{kind: kindReference, read: true, method: http.MethodGet, path: "/healthz", want: http.StatusOK}
	}
	x := c.r.Float64()
	switch {
	case x < 0.5:
		if o := c.visibleOrder(); o != nil {
			return step{kind: kindGet, read: true, method: http.MethodGet, path: "/orders/" + o.id, want: http.StatusOK}
		}
	case x < 0.8:
		if c.last != nil {
			return step{kind: kindMinVer, read: true, method: http.MethodGet, want: http.StatusOK,
				path: "/orders/" + c.last.id + "?minVersion=" + strconv.FormatInt(c.lastVer, 10)}
		}
	}
	q := "status=" + []string{"submitted", "paid", "shipped", "cancelled"}[c.r.IntN(4)]
	if c.r.IntN(2) == 0 {
		q = "buyerId=" + c.buyer()
	}
	return step{kind: kindList, read: true, method: http.MethodGet, path: "/orders?" + q + "&limit=20", want: http.StatusOK}
}

// visibleOrder is one of the client's orders that the query API already
// shows (a read by id of an order not projected yet would be a 404 that says
// nothing about the system), or nil.
func (c *client) visibleOrder() *order {
	candidates := append(c.pool[:len(c.pool):len(c.pool)], c.done...)
	for range 4 {
		if len(candidates) == 0 {
			return nil
		}
		o := candidates[c.r.IntN(len(candidates))]
		if c.seen(o.id, 1) {
			return o
		}
	}
	return nil
}

// accepted notes the client's last accepted command, for minVersion reads.
func (c *client) accepted(o *order, version int64) { c.last, c.lastVer = o, version }

func (c *client) buyer() string { return fmt.Sprintf("sb-%s-buyer-%d", c.run, c.id%8) }

func (c *client) newLine(o *order) line {
	o.nextPID++
	return line{product: "p-" + strconv.Itoa(o.nextPID), quantity: 1 + c.r.Int64N(3), price: 100 + 50*c.r.Int64N(40)}
}

func itemJSON(l line) string {
	return `{"productId":"` + l.product + `","name":"Product ` + l.product + `","quantity":` + strconv.FormatInt(l.quantity, 10) +
		`,"unitPrice":` + strconv.FormatInt(l.price, 10) + `}`
}

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }
