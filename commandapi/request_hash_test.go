package commandapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"orderctx/commandapi"
	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderapp"
	"orderctx/infra/eventstore/memory"
)

// hashRecorder is a Store that notes the request hash of every command it runs.
type hashRecorder struct {
	commandapi.Store
	mu     sync.Mutex
	hashes []string
}

func (r *hashRecorder) Update(ctx context.Context, orderID string, opts orderapp.UpdateOptions, decide func(o *order.Order) error) (orderapp.UpdateResult, error) {
	r.mu.Lock()
	r.hashes = append(r.hashes, opts.RequestHash)
	r.mu.Unlock()
	return r.Store.Update(ctx, orderID, opts, decide)
}

// TestRequestHashesNeverChange pins the request hash of one request per
// command. The hash is stored with every event a command appends and compared
// when its Idempotency-Key comes back, so a renamed command, a changed request
// struct or another hashing would answer every retry of a command accepted
// before the change with 422 idempotency-key-reused. Each want is the SHA-256
// of "orderctx.command.v1\x00<command name>\x00<order id>\x00<body re-encoded>"
// as the hash was first released.
func TestRequestHashesNeverChange(t *testing.T) {
	t.Parallel()
	reg := orderRegistry(t)
	store := memory.New(reg)
	rec := &hashRecorder{Store: orderapp.NewService(store, reg, es.NewFixedClock(t0), nil)}
	f := newFixtureWith(t, store, rec, commandapi.Options{})
	post := func(path, body string) request { return request{method: http.MethodPost, path: path, body: body} }
	steps := []struct {
		req  request
		want string
	}{
		{post("/orders", placeBody), "9f5ae02d79345e11fb2a80b15dab81be47ad6c691516acac917b750dc381fbd5"},
		{post("/orders/o-1/items", `{"productId":"p-2","name":"Tea","quantity":3,"unitPrice":199,"discount":10}`), "e64e8af5800875bbceef1d3d25bae7bb66703dd8be0fd539b49f244a7ec4174c"},
		{request{method: http.MethodDelete, path: "/orders/o-1/items/p-2"}, "7f794aa083c1e55393a105a8495301f1552816e5553f526fdf23848a68f4474f"},
		{post("/orders/o-1/pay", `{"paymentReference":"psp-1","amount":800}`), "2fc040d96bf819fe5d660ebc628e6a2c4fb621d6614d489581aca279d7dd7f01"},
		{post("/orders/o-1/ship", `{"carrier":"DHL","trackingNumber":"T-1"}`), "d5da54611e9b0dfd14f9c579c1612d1d59df699c3730b4d1693063c921a4dd57"},
		{post("/orders/o-1/cancel", `{"reason":"too late"}`), "b664f359adec462a63a163456c8cd5189189dc54bb33b4197f2d598a70b23555"}, // refused (shipped), hashed all the same
	}
	for _, s := range steps {
		f.do(t, s.req)
	}
	if len(rec.hashes) != len(steps) {
		t.Fatalf("%d commands reached the store, want %d", len(rec.hashes), len(steps))
	}
	for i, s := range steps {
		if rec.hashes[i] != s.want {
			t.Errorf("%s %s: request hash %s, want %s", s.req.method, s.req.path, rec.hashes[i], s.want)
		}
	}
}
