package commandapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"orderctx/commandapi"
	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/eventstore/memory"
)

func TestCommandsSucceed(t *testing.T) {
	t.Parallel()
	post := func(path, body string) request { return request{method: http.MethodPost, path: path, body: body} }
	tests := []struct {
		name        string
		before      []request
		req         request
		wantStatus  int
		wantVersion int64
		wantEvent   es.Payload
	}{
		{name: "place order", req: post("/orders", placeBody), wantStatus: http.StatusCreated, wantVersion: 1,
			wantEvent: order.OrderPlaced{OrderID: "o-1", BuyerID: "b-1", Currency: "EUR", ShippingAddress: testAddress, PlacedAt: t0,
				Items: []order.Item{{ProductID: "p-1", Name: "Coffee", Quantity: 2, UnitPrice: eur(450), Discount: eur(100)}}}},
		{name: "place order without items", req: post("/orders", strings.Replace(placeBodyNoID, "{", `{"orderId":"o-1",`, 1)),
			wantStatus: http.StatusCreated, wantVersion: 1,
			wantEvent: order.OrderPlaced{OrderID: "o-1", BuyerID: "b-1", Currency: "EUR", ShippingAddress: testAddress, PlacedAt: t0, Items: []order.Item{}}},
		{name: "add item in the order's currency", before: []request{post("/orders", placeBody)},
			req:        post("/orders/o-1/items", `{"productId":"p-2","name":"Tea","quantity":3,"unitPrice":199}`),
			wantStatus: http.StatusOK, wantVersion: 2,
			wantEvent: order.ItemAdded{OrderID: "o-1", ProductID: "p-2", Name: "Tea", Quantity: 3, UnitPrice: eur(199), Discount: eur(0)}},
		{name: "add item merges a line", before: []request{post("/orders", placeBody)},
			req:        post("/orders/o-1/items", `{"productId":"p-1","name":"Coffee","quantity":1,"unitPrice":450,"discount":50}`),
			wantStatus: http.StatusOK, wantVersion: 2,
			wantEvent: order.ItemAdded{OrderID: "o-1", ProductID: "p-1", Name: "Coffee", Quantity: 1, UnitPrice: eur(450), Discount: eur(50)}},
		{name: "remove item", before: []request{post("/orders", placeBody)},
			req:        request{method: http.MethodDelete, path: "/orders/o-1/items/p-1"},
			wantStatus: http.StatusOK, wantVersion: 2, wantEvent: order.ItemRemoved{OrderID: "o-1", ProductID: "p-1"}},
		{name: "pay the total", before: []request{post("/orders", placeBody)},
			req:        post("/orders/o-1/pay", `{"paymentReference":"psp-1","amount":800}`),
			wantStatus: http.StatusOK, wantVersion: 2,
			wantEvent: order.OrderPaid{OrderID: "o-1", PaymentReference: "psp-1", Amount: eur(800), PaidAt: t0}},
		{name: "ship a paid order", before: []request{post("/orders", placeBody), post("/orders/o-1/pay", `{"paymentReference":"psp-1","amount":800}`)},
			req:        post("/orders/o-1/ship", `{"carrier":"DHL","trackingNumber":"T-1"}`),
			wantStatus: http.StatusOK, wantVersion: 3,
			wantEvent: order.OrderShipped{OrderID: "o-1", Carrier: "DHL", TrackingNumber: "T-1", ShippedAt: t0}},
		{name: "cancel", before: []request{post("/orders", placeBody)},
			req:        post("/orders/o-1/cancel", `{"reason":"changed my mind"}`),
			wantStatus: http.StatusOK, wantVersion: 2,
			wantEvent: order.OrderCancelled{OrderID: "o-1", Reason: "changed my mind", CancelledAt: t0}},
		{name: "cancel a paid order records the refund", before: []request{post("/orders", placeBody), post("/orders/o-1/pay", `{"paymentReference":"psp-1","amount":800}`)},
			req:        post("/orders/o-1/cancel", `{"reason":"out of stock"}`),
			wantStatus: http.StatusOK, wantVersion: 3,
			wantEvent: order.OrderCancelled{OrderID: "o-1", Reason: "out of stock", RefundDue: ptr(eur(800)), CancelledAt: t0}},
		{name: "escaped path segments", before: []request{post("/orders", strings.Replace(placeBody, `"o-1"`, `"o:1"`, 1))},
			req:        request{method: http.MethodDelete, path: "/orders/o%3A1/items/p%2D1"},
			wantStatus: http.StatusOK, wantVersion: 2, wantEvent: order.ItemRemoved{OrderID: "o:1", ProductID: "p-1"}},
		{name: "charset and +json media types", before: []request{post("/orders", placeBody)},
			req: request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"r"}`,
				headers: map[string]string{"Content-Type": "application/vnd.orderctx+json; charset=UTF-8"}},
			wantStatus: http.StatusOK, wantVersion: 2,
			wantEvent: order.OrderCancelled{OrderID: "o-1", Reason: "r", CancelledAt: t0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, commandapi.Options{})
			for _, r := range tc.before {
				f.mustDo(t, map[bool]int{true: http.StatusCreated, false: http.StatusOK}[r.path == "/orders"], r)
			}
			rec := f.do(t, tc.req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tc.wantStatus)
			}
			var res commandapi.CommandResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if got := rec.Header().Get("ETag"); got != fmt.Sprintf("%q", fmt.Sprint(tc.wantVersion)) {
				t.Errorf("ETag = %s, want \"%d\"", got, tc.wantVersion)
			}
			if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("X-Request-Id") == "" {
				t.Errorf("headers = %v", rec.Header())
			}
			if tc.wantStatus == http.StatusCreated && rec.Header().Get("Location") != "/orders/"+res.OrderID {
				t.Errorf("Location = %q for order %q", rec.Header().Get("Location"), res.OrderID)
			}
			evs := f.store.Events(order.StreamID(res.OrderID))
			if res.Version != tc.wantVersion || len(evs) != int(tc.wantVersion) || len(res.EventIDs) != 1 || res.EventIDs[0] != evs[len(evs)-1].EventID {
				t.Fatalf("response %+v with %d stored events", res, len(evs))
			}
			got, err := orderRegistry(t).DecodeEvent(evs[len(evs)-1])
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := json.Marshal(tc.wantEvent); string(want) != string(mustJSON(t, got.Payload)) {
				t.Fatalf("event = %s\nwant    %s", mustJSON(t, got.Payload), want)
			}
		})
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type wantField struct{ field, rule string }

func TestCommandErrors(t *testing.T) {
	t.Parallel()
	post := func(path, body string) request { return request{method: http.MethodPost, path: path, body: body} }
	placed := []request{post("/orders", placeBody)}
	paid := append(placed, post("/orders/o-1/pay", `{"paymentReference":"psp-1","amount":800}`))
	tests := []struct {
		name       string
		before     []request
		req        request
		wantStatus int
		wantRule   string // top-level rule, "" to skip
		wantFields []wantField
		store      func(*memory.Store)
	}{
		// 400: the request alone is wrong.
		{name: "malformed JSON", req: post("/orders", `{"buyerId":`), wantStatus: 400, wantRule: commandapi.RuleMalformedJSON},
		{name: "syntax error", req: post("/orders", `{"buyerId" "b"}`), wantStatus: 400, wantRule: commandapi.RuleMalformedJSON},
		{name: "empty body", req: request{method: http.MethodPost, path: "/orders", headers: map[string]string{"Content-Type": "application/json"}},
			wantStatus: 400, wantRule: commandapi.RuleEmptyBody},
		{name: "trailing data", req: post("/orders/o-1/cancel", `{"reason":"x"} {}`), wantStatus: 400, wantRule: commandapi.RuleMalformedJSON},
		{name: "invalid UTF-8", req: post("/orders/o-1/cancel", "{\"reason\":\"\xff\"}"), wantStatus: 400, wantRule: commandapi.RuleMalformedJSON},
		{name: "body is not an object", req: post("/orders/o-1/cancel", `["reason"]`), wantStatus: 400,
			wantFields: []wantField{{"(body)", commandapi.RuleFieldType}}},
		{name: "null body", req: post("/orders/o-1/cancel", `null`), wantStatus: 400, wantFields: []wantField{{"(body)", commandapi.RuleFieldType}}},
		{name: "unknown fields everywhere, all named", req: post("/orders", `{"orderId":"o-1","buyerId":"b-1","currency":"EUR","extra":1,
			"shippingAddress":{"street":"s","city":"c","postalCode":"1","country":"DE","floor":3},
			"items":[{"productId":"p","name":"n","quantity":1,"unitPrice":1},{"productId":"q","name":"n","quantity":1,"unitPrice":1,"colour":"red"}]}`),
			wantStatus: 400, wantFields: []wantField{{"extra", commandapi.RuleUnknownField}, {"shippingAddress.floor", commandapi.RuleUnknownField}, {"items[1].colour", commandapi.RuleUnknownField}}},
		{name: "wrong types, all named", req: post("/orders", `{"orderId":7,"buyerId":"b-1","currency":"EUR","shippingAddress":"here",
			"items":[{"productId":"p","name":"n","quantity":"2","unitPrice":1.5},{"productId":"q","name":true,"quantity":1e3,"unitPrice":99999999999999999999}]}`),
			wantStatus: 400, wantFields: []wantField{{"orderId", commandapi.RuleFieldType}, {"shippingAddress", commandapi.RuleFieldType},
				{"items[0].quantity", commandapi.RuleFieldType}, {"items[0].unitPrice", commandapi.RuleFieldType},
				{"items[1].name", commandapi.RuleFieldType}, {"items[1].quantity", commandapi.RuleFieldType}, {"items[1].unitPrice", commandapi.RuleFieldType}}},
		{name: "duplicate member", req: post("/orders/o-1/cancel", `{"reason":"a","reason":"b"}`), wantStatus: 400,
			wantFields: []wantField{{"reason", commandapi.RuleDuplicateField}}},
		{name: "invalid fields, all named", req: post("/orders", `{"currency":"eur","shippingAddress":{"street":"s","city":"c","postalCode":"10115","country":"Germany"},
			"items":[{"productId":"p 1","name":"n","quantity":0,"discount":5}]}`),
			wantStatus: 400, wantFields: []wantField{{"buyerId", order.RuleRequired}, {"currency", order.RuleFormat}, {"shippingAddress.country", order.RuleFormat},
				{"items[0].productId", order.RuleFormat}, {"items[0].quantity", order.RuleQuantityRange}, {"items[0].unitPrice", order.RuleRequired}}},
		{name: "money rules on items", req: post("/orders", `{"orderId":"o-1","buyerId":"b-1","currency":"EUR","shippingAddress":{"street":"s","city":"c","postalCode":"1","country":"DE"},
			"items":[{"productId":"p","name":"n","quantity":1,"unitPrice":-1},{"productId":"q","name":"n","quantity":2,"unitPrice":10,"discount":21},{"productId":"p","name":"n","quantity":1,"unitPrice":1}]}`),
			wantStatus: 400, wantFields: []wantField{{"items[0].unitPrice", order.RuleAmountRange}, {"items[1].discount", order.RuleDiscountExceedsLine}, {"items[2].productId", order.RuleDuplicateItem}}},
		{name: "add item without price and quantity", before: placed, req: post("/orders/o-1/items", `{"productId":"p-2","name":"Tea"}`),
			wantStatus: 400, wantFields: []wantField{{"quantity", order.RuleRequired}, {"unitPrice", order.RuleRequired}}},
		{name: "pay without amount", before: placed, req: post("/orders/o-1/pay", `{"paymentReference":"psp-1"}`),
			wantStatus: 400, wantFields: []wantField{{"amount", order.RuleRequired}}},
		{name: "pay with a negative amount", before: placed, req: post("/orders/o-1/pay", `{"paymentReference":"psp-1","amount":-5}`),
			wantStatus: 400, wantFields: []wantField{{"amount", order.RuleAmountRange}}},
		{name: "ship without carrier", before: placed, req: post("/orders/o-1/ship", `{"carrier":" ","trackingNumber":null}`),
			wantStatus: 400, wantFields: []wantField{{"carrier", order.RuleRequired}, {"trackingNumber", order.RuleRequired}}},
		{name: "cancel without reason", before: placed, req: post("/orders/o-1/cancel", `{}`),
			wantStatus: 400, wantFields: []wantField{{"reason", order.RuleRequired}}},
		{name: "invalid order id in the path", req: post("/orders/o%20x/cancel", `{"reason":"r"}`),
			wantStatus: 400, wantFields: []wantField{{"orderId", order.RuleFormat}}},
		{name: "invalid product id in the path", before: placed, req: request{method: http.MethodDelete, path: "/orders/o-1/items/p%20x"},
			wantStatus: 400, wantFields: []wantField{{"productId", order.RuleFormat}}},
		{name: "malformed If-Match", before: placed, req: request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"r"}`, headers: map[string]string{"If-Match": "3"}},
			wantStatus: 400, wantFields: []wantField{{"If-Match", commandapi.RuleHeader}}},
		{name: "weak If-Match", before: placed, req: request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"r"}`, headers: map[string]string{"If-Match": `W/"1"`}},
			wantStatus: 400, wantFields: []wantField{{"If-Match", commandapi.RuleHeader}}},
		{name: "malformed Idempotency-Key", before: placed, req: request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"r"}`, headers: map[string]string{"Idempotency-Key": "a key"}},
			wantStatus: 400, wantFields: []wantField{{"Idempotency-Key", commandapi.RuleHeader}}},
		{name: "overlong Idempotency-Key", before: placed, req: request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"r"}`, headers: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}},
			wantStatus: 400, wantFields: []wantField{{"Idempotency-Key", commandapi.RuleHeader}}},

		// 404
		{name: "add item to an unknown order", req: post("/orders/nope/items", `{"productId":"p","name":"n","quantity":1,"unitPrice":1}`), wantStatus: 404, wantRule: order.RuleNotFound},
		{name: "pay an unknown order", req: post("/orders/nope/pay", `{"paymentReference":"r","amount":1}`), wantStatus: 404, wantRule: order.RuleNotFound},
		{name: "ship an unknown order", req: post("/orders/nope/ship", `{"carrier":"c","trackingNumber":"t"}`), wantStatus: 404, wantRule: order.RuleNotFound},
		{name: "cancel an unknown order", req: post("/orders/nope/cancel", `{"reason":"r"}`), wantStatus: 404, wantRule: order.RuleNotFound},
		{name: "remove from an unknown order", req: request{method: http.MethodDelete, path: "/orders/nope/items/p"}, wantStatus: 404, wantRule: order.RuleNotFound},
		{name: "remove an unknown product", before: placed, req: request{method: http.MethodDelete, path: "/orders/o-1/items/p-9"}, wantStatus: 404,
			wantRule: order.RuleItemNotFound, wantFields: []wantField{{"productId", order.RuleItemNotFound}}},
		{name: "unknown route", req: request{method: http.MethodGet, path: "/nowhere"}, wantStatus: 404},

		// 405
		{name: "wrong method", req: request{method: http.MethodGet, path: "/orders"}, wantStatus: 405},

		// 409
		{name: "place twice", before: placed, req: post("/orders", placeBody), wantStatus: 409, wantRule: order.RuleAlreadyPlaced},
		{name: "conflict after retries", before: placed, req: post("/orders/o-1/cancel", `{"reason":"r"}`), wantStatus: 409, wantRule: es.RuleConcurrency,
			store: func(s *memory.Store) {
				s.SetBeforeAppend(false, func(string, int64) error { return fmt.Errorf("append: %w", es.ErrConcurrency) })
			}},

		// 412
		{name: "stale If-Match", before: append(placed, post("/orders/o-1/items", `{"productId":"p-2","name":"n","quantity":1,"unitPrice":1}`)),
			req:        request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"r"}`, headers: map[string]string{"If-Match": `"1"`}},
			wantStatus: 412, wantRule: es.RuleStaleVersion},
		{name: "If-Match on a new order that exists", before: placed,
			req:        request{method: http.MethodPost, path: "/orders", body: placeBody, headers: map[string]string{"If-Match": `"0"`}},
			wantStatus: 412, wantRule: es.RuleStaleVersion},

		// 413
		{name: "body too large", req: post("/orders", `{"buyerId":"`+strings.Repeat("x", 70<<10)+`"}`), wantStatus: 413, wantRule: commandapi.RuleBodyTooLarge},

		// 415
		{name: "text/plain", req: request{method: http.MethodPost, path: "/orders", body: placeBody, headers: map[string]string{"Content-Type": "text/plain"}},
			wantStatus: 415, wantRule: commandapi.RuleContentType},
		{name: "no content type", req: request{method: http.MethodPost, path: "/orders", body: placeBody, headers: map[string]string{"Content-Type": ""}},
			wantStatus: 415, wantRule: commandapi.RuleContentType},
		{name: "form post", req: request{method: http.MethodPost, path: "/orders", body: "a=b", headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
			wantStatus: 415, wantRule: commandapi.RuleContentType},
		{name: "not UTF-8", req: request{method: http.MethodPost, path: "/orders", body: placeBody, headers: map[string]string{"Content-Type": "application/json; charset=latin1"}},
			wantStatus: 415, wantRule: commandapi.RuleContentType},

		// 422
		{name: "ship an unpaid order", before: placed, req: post("/orders/o-1/ship", `{"carrier":"c","trackingNumber":"t"}`), wantStatus: 422, wantRule: order.RuleNotPaid},
		{name: "pay the wrong amount", before: placed, req: post("/orders/o-1/pay", `{"paymentReference":"r","amount":799}`), wantStatus: 422,
			wantRule: order.RuleAmountMismatch, wantFields: []wantField{{"amount", order.RuleAmountMismatch}}},
		{name: "pay an empty order", before: []request{post("/orders", strings.Replace(placeBodyNoID, "{", `{"orderId":"o-1",`, 1))},
			req: post("/orders/o-1/pay", `{"paymentReference":"r","amount":0}`), wantStatus: 422, wantRule: order.RuleEmpty},
		{name: "add at another unit price", before: placed, req: post("/orders/o-1/items", `{"productId":"p-1","name":"n","quantity":1,"unitPrice":1}`),
			wantStatus: 422, wantFields: []wantField{{"unitPrice", order.RuleUnitPriceMismatch}}},
		{name: "add to a paid order", before: paid, req: post("/orders/o-1/items", `{"productId":"p-2","name":"n","quantity":1,"unitPrice":1}`),
			wantStatus: 422, wantRule: order.RuleAlreadyPaid},
		{name: "cancel twice", before: append(placed, post("/orders/o-1/cancel", `{"reason":"r"}`)), req: post("/orders/o-1/cancel", `{"reason":"again"}`),
			wantStatus: 422, wantRule: order.RuleAlreadyCancelled},

		// 503
		{name: "store down", req: post("/orders", placeBody), wantStatus: 503, wantRule: es.RuleStoreUnavailable,
			store: func(s *memory.Store) { s.SetDown(true) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, commandapi.Options{})
			for _, r := range tc.before {
				f.mustDo(t, map[bool]int{true: http.StatusCreated, false: http.StatusOK}[r.path == "/orders"], r)
			}
			if tc.store != nil {
				tc.store(f.store)
			}
			before := f.store.Appends()
			rec := f.do(t, tc.req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tc.wantStatus)
			}
			p := problemOf(t, rec)
			if tc.wantRule != "" && p.Rule != tc.wantRule {
				t.Errorf("rule = %q, want %q (%+v)", p.Rule, tc.wantRule, p)
			}
			for _, w := range tc.wantFields {
				if !hasError(p, w.field, w.rule) {
					t.Errorf("no error for field %q rule %q in %+v", w.field, w.rule, p.Errors)
				}
			}
			if len(tc.wantFields) > 0 && len(p.Errors) != len(tc.wantFields) {
				t.Errorf("%d errors, want %d: %+v", len(p.Errors), len(tc.wantFields), p.Errors)
			}
			if tc.wantStatus == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") != "1" {
				t.Errorf("Retry-After = %q", rec.Header().Get("Retry-After"))
			}
			if p.RequestID == "" || p.RequestID != rec.Header().Get("X-Request-Id") {
				t.Errorf("problem request id %q, header %q", p.RequestID, rec.Header().Get("X-Request-Id"))
			}
			if got := f.store.Appends(); got != before {
				t.Errorf("a refused command appended %d times", got-before)
			}
		})
	}
}

// failingStore is a Store whose Update fails or panics.
type failingStore struct {
	err   error
	panic any
}

func (s failingStore) Update(context.Context, string, orderapp.UpdateOptions, func(*order.Order) error) (orderapp.UpdateResult, error) {
	if s.panic != nil {
		panic(s.panic)
	}
	return orderapp.UpdateResult{}, s.err
}

func (s failingStore) Ready(context.Context) error { return s.err }

func TestInternalErrorsAreHidden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		store failingStore
		want  int
	}{
		{"plain error", failingStore{err: errors.New("secret: connection string AccountKey=xyz")}, 500},
		{"internal domain error", failingStore{err: es.Errorf(es.Internal, es.RuleCorruptHistory, "secret: stream broken")}, 500},
		{"panic", failingStore{panic: "secret: nil map"}, 500},
		{"deadline", failingStore{err: fmt.Errorf("secret: %w", context.DeadlineExceeded)}, 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixtureWith(t, nil, tc.store, commandapi.Options{})
			rec := f.do(t, request{method: http.MethodPost, path: "/orders", body: placeBody})
			if rec.Code != tc.want {
				t.Fatalf("status %d %s", rec.Code, rec.Body)
			}
			p := problemOf(t, rec)
			if strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "goroutine") {
				t.Fatalf("internal detail leaked: %s", rec.Body)
			}
			if p.Detail == "" {
				t.Fatal("no detail")
			}
			if !strings.Contains(f.logs.String(), "secret") {
				t.Fatalf("internal detail not logged: %s", f.logs)
			}
		})
	}
}

func TestIdempotentReplay(t *testing.T) {
	t.Parallel()
	placed := []request{{method: http.MethodPost, path: "/orders", body: placeBody}}
	post := func(path, body string) request { return request{method: http.MethodPost, path: path, body: body} }
	tests := []struct {
		name   string
		before []request
		req    request
		other  request // the same key with another request
		status int
	}{
		{name: "place order", req: post("/orders", placeBody), other: post("/orders", strings.Replace(placeBody, `"b-1"`, `"b-2"`, 1)), status: http.StatusCreated},
		{name: "place order with a server-assigned id", req: post("/orders", placeBodyNoID),
			other: post("/orders", strings.Replace(placeBodyNoID, `"b-1"`, `"b-2"`, 1)), status: http.StatusCreated},
		{name: "add item", before: placed, req: post("/orders/o-1/items", `{"productId":"p-2","name":"n","quantity":1,"unitPrice":5}`),
			other: post("/orders/o-1/items", `{"productId":"p-2","name":"n","quantity":2,"unitPrice":5}`), status: http.StatusOK},
		{name: "remove item", before: placed, req: request{method: http.MethodDelete, path: "/orders/o-1/items/p-1"},
			other: request{method: http.MethodDelete, path: "/orders/o-1/items/p-2"}, status: http.StatusOK},
		{name: "pay", before: placed, req: post("/orders/o-1/pay", `{"paymentReference":"r","amount":800}`),
			other: post("/orders/o-1/pay", `{"paymentReference":"r2","amount":800}`), status: http.StatusOK},
		{name: "ship", before: append(placed, post("/orders/o-1/pay", `{"paymentReference":"r","amount":800}`)),
			req: post("/orders/o-1/ship", `{"carrier":"c","trackingNumber":"t"}`), other: post("/orders/o-1/ship", `{"carrier":"c","trackingNumber":"u"}`), status: http.StatusOK},
		{name: "cancel", before: placed, req: post("/orders/o-1/cancel", `{"reason":"r"}`),
			other: post("/orders/o-1/pay", `{"paymentReference":"r","amount":800}`), status: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, commandapi.Options{})
			for _, r := range tc.before {
				f.mustDo(t, map[bool]int{true: http.StatusCreated, false: http.StatusOK}[r.path == "/orders"], r)
			}
			key := map[string]string{"Idempotency-Key": "key-" + strings.ReplaceAll(tc.name, " ", "-")}
			req, other := tc.req, tc.other
			req.headers, other.headers = key, key
			first := f.do(t, req)
			appends := f.store.Appends()
			second := f.do(t, req)
			if first.Code != tc.status || second.Code != tc.status {
				t.Fatalf("statuses %d, %d: %s / %s", first.Code, second.Code, first.Body, second.Body)
			}
			if first.Body.String() != second.Body.String() {
				t.Fatalf("answers differ:\n%s\n%s", first.Body, second.Body)
			}
			for _, h := range []string{"ETag", "Location"} {
				if first.Header().Get(h) != second.Header().Get(h) {
					t.Errorf("%s: %q then %q", h, first.Header().Get(h), second.Header().Get(h))
				}
			}
			if first.Header().Get(commandapi.HeaderIdempotentReplayed) != "" || second.Header().Get(commandapi.HeaderIdempotentReplayed) != "true" {
				t.Errorf("Idempotent-Replayed: %q then %q", first.Header().Get(commandapi.HeaderIdempotentReplayed), second.Header().Get(commandapi.HeaderIdempotentReplayed))
			}
			if f.store.Appends() != appends {
				t.Fatal("the retry appended again")
			}
			rec := f.do(t, other)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("reused key: %d %s", rec.Code, rec.Body)
			}
			if p := problemOf(t, rec); p.Rule != es.RuleCommandReused {
				t.Fatalf("reused key: rule %q", p.Rule)
			}
			if f.store.Appends() != appends {
				t.Fatal("the reused key appended")
			}
		})
	}
}

func TestReplayIgnoresFormatting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	place(t, f)
	key := map[string]string{"Idempotency-Key": `"2f1e5c1a-5b8e-4a0e-9d0b-6f3a2c4b7e91"`}
	a := f.mustDo(t, 200, request{method: http.MethodPost, path: "/orders/o-1/items", headers: key,
		body: `{"productId":"p-2","name":"n","quantity":1,"unitPrice":5}`})
	f.mustDo(t, 200, request{method: http.MethodPost, path: "/orders/o-1/items", body: `{"productId":"p-3","name":"n","quantity":1,"unitPrice":5}`})
	b := f.mustDo(t, 200, request{method: http.MethodPost, path: "/orders/o-1/items", headers: key,
		body: "{ \"unitPrice\": 5, \"quantity\": 1,\n \"name\": \"n\", \"productId\": \"p-2\", \"discount\": null }"})
	if a.Version != 2 || b.Version != 2 || a.EventIDs[0] != b.EventIDs[0] {
		t.Fatalf("replay after a later command: %+v then %+v", a, b)
	}
	if n := len(f.store.Events("order-o-1")); n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
}

func TestServerAssignedOrderIDs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	withKey := func(k string) request {
		return request{method: http.MethodPost, path: "/orders", body: placeBodyNoID, headers: map[string]string{"Idempotency-Key": k}}
	}
	a := f.mustDo(t, 201, withKey("k-1"))
	b := f.mustDo(t, 201, withKey("k-1"))
	c := f.mustDo(t, 201, withKey("k-2"))
	if a.OrderID != b.OrderID || a.OrderID == c.OrderID {
		t.Fatalf("ids under keys: %q, %q, %q", a.OrderID, b.OrderID, c.OrderID)
	}
	// Derived ids are fixed by the key alone: they survive restarts and replicas.
	other := newFixture(t, commandapi.Options{})
	if d := other.mustDo(t, 201, withKey("k-1")); d.OrderID != a.OrderID {
		t.Fatalf("id under k-1 in another API: %q, want %q", d.OrderID, a.OrderID)
	}
	n1 := f.mustDo(t, 201, request{method: http.MethodPost, path: "/orders", body: placeBodyNoID})
	n2 := f.mustDo(t, 201, request{method: http.MethodPost, path: "/orders", body: placeBodyNoID})
	if n1.OrderID == n2.OrderID || n1.OrderID == a.OrderID {
		t.Fatalf("ids without key: %q, %q", n1.OrderID, n2.OrderID)
	}
	for _, id := range []string{a.OrderID, c.OrderID, n1.OrderID} {
		if err := (order.CancelOrder{OrderID: id, Reason: "r"}).Validate(); err != nil || len(id) != 36 {
			t.Fatalf("assigned id %q is not a valid order id: %v", id, err)
		}
	}
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	f.mustDo(t, 201, request{method: http.MethodPost, path: "/orders", body: placeBody, headers: map[string]string{"If-Match": `"0"`}})
	add := func(etag, product string) *request {
		return &request{method: http.MethodPost, path: "/orders/o-1/items", headers: map[string]string{"If-Match": etag},
			body: `{"productId":"` + product + `","name":"n","quantity":1,"unitPrice":5}`}
	}
	rec := f.do(t, *add(`"1"`, "p-2"))
	if rec.Code != 200 || rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("matching If-Match: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, *add(`"1"`, "p-3")); rec.Code != 412 {
		t.Fatalf("stale If-Match: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, *add(`*`, "p-3")); rec.Code != 200 {
		t.Fatalf("If-Match *: %d %s", rec.Code, rec.Body)
	}
	// A pinned version that loses a race is stale, not retried.
	f.store.SetBeforeAppend(false, func(s string, _ int64) error { return fmt.Errorf("append: %w", es.ErrConcurrency) })
	if rec := f.do(t, *add(`"3"`, "p-4")); rec.Code != 412 {
		t.Fatalf("pinned version losing a race: %d %s", rec.Code, rec.Body)
	}
}

func TestRequestIDAndLogs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	rec := f.do(t, request{method: http.MethodPost, path: "/orders", body: placeBody, headers: map[string]string{"X-Request-Id": "req-42"}})
	if rec.Code != 201 || rec.Header().Get("X-Request-Id") != "req-42" || rec.Header().Get("X-Request-Charge") != "14.00" {
		t.Fatalf("%d, X-Request-Id %q, X-Request-Charge %q", rec.Code, rec.Header().Get("X-Request-Id"), rec.Header().Get("X-Request-Charge"))
	}
	rec = f.do(t, request{method: http.MethodPost, path: "/orders/o-1/ship", body: `{"carrier":"c","trackingNumber":"t"}`,
		headers: map[string]string{"X-Request-Id": "bad id with spaces"}})
	generated := rec.Header().Get("X-Request-Id")
	if rec.Code != 422 || generated == "" || generated == "bad id with spaces" {
		t.Fatalf("%d, X-Request-Id %q", rec.Code, generated)
	}
	var accepted, rejected map[string]any
	for _, l := range f.logs.lines(t) {
		if l["msg"] != "request" {
			continue
		}
		switch l["requestId"] {
		case "req-42":
			accepted = l
		case generated:
			rejected = l
		}
	}
	if accepted == nil || rejected == nil {
		t.Fatalf("request log lines missing: %s", f.logs)
	}
	for k, want := range map[string]any{"command": "place_order", "orderId": "o-1", "outcome": "accepted", "status": float64(201), "ru": float64(14), "storeRequests": float64(3), "method": "POST"} {
		if accepted[k] != want {
			t.Errorf("accepted log %s = %v, want %v", k, accepted[k], want)
		}
	}
	if _, ok := accepted["durationMs"].(float64); !ok {
		t.Errorf("no durationMs in %v", accepted)
	}
	for k, want := range map[string]any{"command": "ship_order", "outcome": "rejected", "status": float64(422), "rule": order.RuleNotPaid} {
		if rejected[k] != want {
			t.Errorf("rejected log %s = %v, want %v", k, rejected[k], want)
		}
	}
	// The correlation id defaults to the request id and is stored with the causation.
	e := f.store.Events("order-o-1")[0]
	if e.CorrelationID != "req-42" || e.CausationID != "req-42" || e.CommandID == "" {
		t.Fatalf("event metadata %+v", e.Metadata)
	}
	f.mustDo(t, 200, request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"r"}`,
		headers: map[string]string{"X-Correlation-Id": "flow-7", "Idempotency-Key": "cancel-1"}})
	e = f.store.Events("order-o-1")[1]
	if e.CorrelationID != "flow-7" || e.CommandID != "cancel-1" {
		t.Fatalf("event metadata %+v", e.Metadata)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{RetryAfter: 3 * time.Second})
	if rec := f.do(t, request{method: http.MethodGet, path: "/healthz"}); rec.Code != 200 {
		t.Fatalf("healthz: %d", rec.Code)
	}
	if rec := f.do(t, request{method: http.MethodGet, path: "/readyz"}); rec.Code != 200 {
		t.Fatalf("readyz: %d", rec.Code)
	}
	f.store.SetDown(true)
	rec := f.do(t, request{method: http.MethodGet, path: "/readyz"})
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "3" {
		t.Fatalf("readyz with the store down: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	problemOf(t, rec)
	if rec := f.do(t, request{method: http.MethodGet, path: "/healthz"}); rec.Code != 200 {
		t.Fatalf("healthz with the store down: %d", rec.Code)
	}
}

func TestServeAndShutdown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	addr := serveTCP(t, f) // its cleanup checks that Serve returns nil after shutdown
	resp, err := http.Post("http://"+addr+"/orders", "application/json", strings.NewReader(placeBody))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := f.api.Run(context.Background(), "256.0.0.1:1"); err == nil {
		t.Fatal("Run on an invalid address succeeded")
	}
}

func TestNewRefusesBadDependencies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, commandapi.Options{})
	tests := []struct {
		name string
		call func()
	}{
		{"nil store", func() { commandapi.New(nil, slogDiscard(), commandapi.Options{}) }},
		{"nil logger", func() { commandapi.New(failingStore{}, nil, commandapi.Options{}) }},
		{"negative options", func() {
			commandapi.New(failingStore{}, slogDiscard(), commandapi.Options{MaxBodyBytes: -1, RequestTimeout: -1})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.call()
		})
	}
	if f.api.Echo() == nil || f.api.Handler() == nil {
		t.Fatal("no handler")
	}
	err := commandapi.Options{MaxBodyBytes: -1, RetryAfter: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "MaxBodyBytes") || !strings.Contains(err.Error(), "RetryAfter") {
		t.Fatalf("Validate = %v, want both problems", err)
	}
}
