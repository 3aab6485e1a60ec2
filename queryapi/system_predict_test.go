package queryapi_test

import (
	"testing"
)

// TestPredictionWhileTheProjectorIsStopped: the stored view stays behind,
// a minVersion read says so, and ?predict=true shows the command's effect
// from the event store; once the projector runs again the view catches up.
func TestPredictionWhileTheProjectorIsStopped(t *testing.T) {
	t.Parallel()
	sys := newSystem(t, 1)
	stop := sys.startProjector(t)
	q := sys.startQuery(t, testFold)
	v1 := sys.command(t, "POST", "/orders", placeBody("p-1", "b-1"))
	if r := get(t, q.url+"/orders/p-1?minVersion=1"); r.status != 200 || v1 != 1 {
		t.Fatalf("placed: %d %s", r.status, r.body)
	}
	stop()
	v2 := sys.command(t, "POST", "/orders/p-1/items", `{"productId":"p-2","name":"Tea","quantity":1,"unitPrice":300}`)
	v3 := sys.command(t, "POST", "/orders/p-1/pay", `{"paymentReference":"psp-1","amount":1100}`)
	if v2 != 2 || v3 != 3 {
		t.Fatalf("versions %d, %d", v2, v3)
	}
	var stored, predicted testView
	get(t, q.url+"/orders/p-1").json(t, &stored)
	if stored.Version != 1 || stored.Status != "submitted" {
		t.Fatalf("stored view %+v", stored)
	}
	p := wantProblem(t, get(t, q.url+"/orders/p-1?minVersion=3&wait=50ms"), 503, "query.version_not_reached", "minVersion")
	if *p.Version != 1 {
		t.Fatalf("reported version %d", *p.Version)
	}
	r := get(t, q.url+"/orders/p-1?predict=true&minVersion=3")
	r.json(t, &predicted)
	var marker struct {
		Predicted bool `json:"predicted"`
	}
	r.json(t, &marker)
	if r.status != 200 || !marker.Predicted || predicted.Version != 3 || predicted.Status != "paid" || len(predicted.Items) != 2 || predicted.Total != 1100 {
		t.Fatalf("prediction %d %s", r.status, r.body)
	}
	// An order the projector never saw is predicted from its events alone.
	sys.command(t, "POST", "/orders", placeBody("p-2", "b-1"))
	r = get(t, q.url+"/orders/p-2?predict=true")
	var fresh testView
	r.json(t, &fresh)
	if r.status != 200 || fresh.Version != 1 || fresh.Status != "submitted" {
		t.Fatalf("prediction of an unprojected order: %d %s", r.status, r.body)
	}
	wantProblem(t, get(t, q.url+"/orders/p-3?predict=true"), 404, "order.not_found", "")
	// The projector catches up; the stored view is what was predicted.
	sys.startProjector(t)
	r = get(t, q.url+"/orders/p-1?minVersion=3")
	var caughtUp testView
	r.json(t, &caughtUp)
	if r.status != 200 || caughtUp.Status != "paid" || caughtUp.Total != predicted.Total || r.header.Get("ETag") != `"3"` {
		t.Fatalf("after the projector ran: %d %s", r.status, r.body)
	}
	if r := get(t, q.url+"/orders/p-1?predict=true"); string(r.body) == "" || r.header.Get("ETag") != `"3"` {
		t.Fatalf("nothing newer to predict: %s %v", r.body, r.header)
	}
}
