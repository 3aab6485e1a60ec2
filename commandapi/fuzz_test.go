package commandapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"orderctx/commandapi"
)

// fuzzEndpoints are the command routes; {id} is replaced by the fuzzed id.
var fuzzEndpoints = []struct{ method, path string }{
	{http.MethodPost, "/orders"},
	{http.MethodPost, "/orders/{id}/items"},
	{http.MethodDelete, "/orders/{id}/items/p-1"},
	{http.MethodPost, "/orders/{id}/pay"},
	{http.MethodPost, "/orders/{id}/ship"},
	{http.MethodPost, "/orders/{id}/cancel"},
}

// FuzzCommandDecoding sends arbitrary bodies, content types and order ids to
// every command endpoint of an API holding order o-1: the answer is always a 2xx with a command result or
// a 4xx problem, never a 5xx.
func FuzzCommandDecoding(f *testing.F) {
	seeds := []string{
		placeBody, placeBodyNoID, `{}`, `null`, `[]`, `""`, `{"a":1}`, `{"buyerId":`, "{\"reason\":\"\xff\"}",
		`{"productId":"p-1","name":"Coffee","quantity":1,"unitPrice":450}`,
		`{"productId":"p-2","name":"n","quantity":9223372036854775807,"unitPrice":9007199254740991,"discount":-1}`,
		`{"paymentReference":"r","amount":800}`, `{"carrier":"c","trackingNumber":"t"}`, `{"reason":"r"}`,
		`{"items":[{"quantity":1e400}]}`, `{"reason":"a","reason":"b"}`, `{"reason":"r"} x`,
		`{"shippingAddress":{"street":{"a":[1,2,{"b":null}]}}}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), "o-1", "application/json", []byte(s))
	}
	f.Add(uint8(0), "o-1", "text/plain", []byte(placeBody))
	f.Add(uint8(1), "o 1", "application/json; charset=utf-16", []byte(`{}`))
	f.Add(uint8(2), "../x", "", []byte(nil))

	f.Fuzz(func(t *testing.T, endpoint uint8, id, contentType string, body []byte) {
		// A fresh store each time keeps runs independent, so the minimizer
		// replays the same outcome and streams do not grow without bound.
		fx := newFixture(t, commandapi.Options{MaxBodyBytes: 4 << 10})
		place(t, fx)
		ep := fuzzEndpoints[int(endpoint)%len(fuzzEndpoints)]
		path := ep.path
		if id != "" {
			path = replaceID(path, url.PathEscape(id))
		} else {
			path = replaceID(path, "o-1")
		}
		r := request{method: ep.method, path: path, body: string(body), headers: map[string]string{"Content-Type": contentType}}
		if contentType == "" {
			r.headers = map[string]string{"Content-Type": ""}
		}
		rec := fx.do(t, r)
		switch {
		case rec.Code >= 200 && rec.Code < 300:
			var res commandapi.CommandResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.Version < 1 || res.OrderID == "" {
				t.Fatalf("%s %s: %d %s", ep.method, path, rec.Code, rec.Body)
			}
		case rec.Code >= 400 && rec.Code < 500:
			problemOf(t, rec)
		default:
			t.Fatalf("%s %s with %q: %d %s", ep.method, path, body, rec.Code, rec.Body)
		}
	})
}

func replaceID(path, id string) string {
	const marker = "{id}"
	for i := 0; i+len(marker) <= len(path); i++ {
		if path[i:i+len(marker)] == marker {
			return path[:i] + id + path[i+len(marker):]
		}
	}
	return path
}
