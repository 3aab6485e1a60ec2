package queryapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosdb"
	"orderctx/queryapi"
)

// legacyPlaced is an order.placed event stored in schema version 1 (the
// address flat at the top level), as an old release wrote it.
const legacyPlaced = `{"id":"order-legacy:1","streamId":"order-legacy","version":1,"type":"order.placed","schemaVersion":1,
	"data":{"orderId":"legacy","buyerId":"b-0","currency":"EUR","street":"Old St 1","city":"Bergen","postalCode":"5003","country":"NO",
	"items":[],"placedAt":"2025-01-01T00:00:00Z"},
	"eventId":"e-legacy","commandId":"c-legacy","correlationId":"corr-legacy","causationId":"cause-legacy","occurredAt":"2025-01-01T00:00:00Z"}`

func TestOrderHistory(t *testing.T) {
	t.Parallel()
	sys := newSystem(t, 2)
	q := sys.startQuery(t, nil)
	sys.command(t, "POST", "/orders", placeBody("h-1", "b-1"), "Idempotency-Key", "k-place", "X-Correlation-Id", "flow-1", "X-Request-Id", "req-1")
	sys.command(t, "POST", "/orders/h-1/items", `{"productId":"p-2","name":"Tea","quantity":1,"unitPrice":300}`, "Idempotency-Key", "k-add")
	sys.command(t, "POST", "/orders/h-1/pay", `{"paymentReference":"psp-1","amount":1100}`)

	var h queryapi.HistoryResponse
	r := get(t, q.url+"/orders/h-1/events")
	r.json(t, &h)
	if r.status != 200 || h.OrderID != "h-1" || h.Version != 3 || len(h.Items) != 3 || h.Next != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	first := h.Items[0]
	if first.Type != "order.placed" || first.Version != 1 || first.SchemaVersion != 2 || first.StreamID != "order-h-1" ||
		first.CommandID != "k-place" || first.CorrelationID != "flow-1" || first.CausationID != "req-1" || first.EventID == "" ||
		first.OccurredAt.IsZero() || first.Position != "" {
		t.Fatalf("first event %+v", first)
	}
	var placed struct {
		BuyerID string `json:"buyerId"`
	}
	if err := json.Unmarshal(first.Data, &placed); err != nil || placed.BuyerID != "b-1" {
		t.Fatalf("data %s", first.Data)
	}
	if types := []string{h.Items[1].Type, h.Items[2].Type}; !slices.Equal(types, []string{"order.item_added", "order.paid"}) {
		t.Fatalf("types %v", types)
	}

	// Pages: fromVersion, limit, and the cursor of the next page.
	get(t, q.url+"/orders/h-1/events?fromVersion=2&limit=1").json(t, &h)
	if len(h.Items) != 1 || h.Items[0].Version != 2 || h.Next == nil || *h.Next != "3" {
		t.Fatalf("page from 2: %+v", h)
	}
	get(t, q.url+"/orders/h-1/events?limit=1&cursor="+*h.Next).json(t, &h)
	if len(h.Items) != 1 || h.Items[0].Version != 3 || h.Next != nil {
		t.Fatalf("page at the cursor: %+v", h)
	}
	get(t, q.url+"/orders/h-1/events?fromVersion=9").json(t, &h)
	if len(h.Items) != 0 || h.Version != 3 {
		t.Fatalf("beyond the end: %+v", h)
	}

	// An event stored in an old schema is shown upcast to the current one.
	events := sys.conn.Container(cosmosdb.Events)
	if _, err := events.CreateItem(context.Background(), azcosmos.NewPartitionKeyString("order-legacy"), []byte(legacyPlaced), nil); err != nil {
		t.Fatal(err)
	}
	get(t, q.url+"/orders/legacy/events").json(t, &h)
	var upcast struct {
		ShippingAddress struct {
			City string `json:"city"`
		} `json:"shippingAddress"`
		City *string `json:"city"`
	}
	if len(h.Items) != 1 || h.Items[0].SchemaVersion != 2 || json.Unmarshal(h.Items[0].Data, &upcast) != nil ||
		upcast.ShippingAddress.City != "Bergen" || upcast.City != nil || h.Items[0].CausationID != "cause-legacy" {
		t.Fatalf("legacy event %+v %s", h.Items, h.Items[0].Data)
	}

	for path, want := range map[string][3]string{
		"/orders/nothing/events":                    {"404", "order.not_found", ""},
		"/orders/h-1/events?fromVersion=0":          {"400", queryapi.RuleInvalidParameter, "fromVersion"},
		"/orders/h-1/events?limit=201":              {"400", queryapi.RuleInvalidParameter, "limit"},
		"/orders/h-1/events?cursor=x":               {"400", queryapi.RuleInvalidParameter, "cursor"},
		"/orders/h-1/events?cursor=2&fromVersion=1": {"400", queryapi.RuleCursorMismatch, "cursor"},
		"/orders/h-1/events?type=order.paid":        {"400", queryapi.RuleUnknownParameter, "type"},
	} {
		status := map[string]int{"404": 404, "400": 400}[want[0]]
		wantProblem(t, get(t, q.url+path), status, want[1], want[2])
	}
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	sys := newSystem(t, 3)
	q := sys.startQuery(t, nil)
	var want []string // stream@version in the order the commands committed
	for i := 0; i < 12; i++ {
		id := fmt.Sprintf("a-%02d", i)
		sys.command(t, "POST", "/orders", placeBody(id, "b-1"))
		want = append(want, "order-"+id+"@1")
		if i%3 == 0 {
			sys.command(t, "POST", "/orders/"+id+"/cancel", `{"reason":"changed my mind"}`)
			want = append(want, "order-"+id+"@2")
		}
	}
	waitFor(t, "the audit index", func() bool { return readiness(t, q.url).AuditEvents == len(want) })

	// Newest first, a page at a time, through cursors.
	var got []string
	var seenTimes []time.Time
	path := q.url + "/events?limit=5"
	for {
		var page queryapi.AuditLogResponse
		r := get(t, path)
		r.json(t, &page)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		for _, e := range page.Items {
			if e.Position == "" || e.EventID == "" || e.Type == "" || len(e.Data) == 0 || e.OrderID == "" {
				t.Fatalf("event %+v", e)
			}
			got = append(got, fmt.Sprintf("%s@%d", e.StreamID, e.Version))
			seenTimes = append(seenTimes, e.OccurredAt)
		}
		if page.Next == nil {
			break
		}
		path = q.url + "/events?limit=5&cursor=" + url.QueryEscape(*page.Next)
	}
	if !slices.IsSortedFunc(seenTimes, func(a, b time.Time) int { return b.Compare(a) }) {
		t.Fatalf("not newest first: %v", seenTimes)
	}
	slices.Reverse(got)
	if !slices.Equal(got, want) {
		t.Fatalf("audit log (oldest first) %v\nwant %v", got, want)
	}

	// Forward from a position: everything after it, oldest first.
	var page queryapi.AuditLogResponse
	get(t, q.url+"/events?limit=3").json(t, &page) // the newest three
	get(t, q.url+"/events?limit=200&from="+url.QueryEscape(page.Items[2].Position)).json(t, &page)
	if len(page.Items) != 2 || fmt.Sprintf("%s@%d", page.Items[1].StreamID, page.Items[1].Version) != want[len(want)-1] {
		t.Fatalf("after the third newest: %+v", page.Items)
	}

	for path, field := range map[string]string{
		"/events?from=x":            "from",
		"/events?cursor=x":          "cursor",
		"/events?limit=0":           "limit",
		"/events?from=eA&cursor=eA": "cursor",
		"/events?order=asc":         "order",
	} {
		rule := queryapi.RuleInvalidParameter
		switch field {
		case "order":
			rule = queryapi.RuleUnknownParameter
		case "cursor":
			if path == "/events?from=eA&cursor=eA" {
				rule = queryapi.RuleCursorMismatch
			}
		}
		wantProblem(t, get(t, q.url+path), 400, rule, field)
	}
}

func TestAuditEndpointsWithoutTheirPorts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{})
	wantProblem(t, get(t, f.url+"/events"), 501, queryapi.RuleAuditUnavailable, "")
	wantProblem(t, get(t, f.url+"/orders/o-1/events"), 501, queryapi.RuleAuditUnavailable, "")
	loading := newFixture(t, queryapi.Deps{Events: &memFeed{hold: true}, EventReader: noEvents{}}, queryapi.Options{})
	wantProblem(t, get(t, loading.url+"/events"), 503, queryapi.RuleAuditLoading, "")
	if r := readiness(t, loading.url); r.AuditEvents != -1 {
		t.Fatalf("audit events %d while loading", r.AuditEvents)
	}
}
