package natsbus_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orderctx/functions/publisher/contracts"
	"orderctx/infra/bus/natsbus"
)

// A subscriber in another process, as in docs/integration-events.md: a
// durable consumer over the stream, reading each event once.
func Example_subscribe() {
	dir, _ := os.MkdirTemp("", "natsbus-example-")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus, err := natsbus.Open(ctx, natsbus.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bus.Close()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	msgs := []contracts.Message{
		{ID: "e-1", Contract: contracts.OrderPlacedV1, OrderID: "o-1", OccurredAt: at, StreamVersion: 1, Body: []byte(`{"orderId":"o-1"}`)},
		{ID: "e-2", Contract: contracts.OrderPaidV1, OrderID: "o-1", OccurredAt: at, StreamVersion: 2, Body: []byte(`{"orderId":"o-1"}`)},
	}
	_ = bus.Publish(ctx, msgs)
	_ = bus.Publish(ctx, msgs) // a re-delivery: dropped

	nc, _ := nats.Connect(bus.URL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	cons, _ := js.CreateOrUpdateConsumer(ctx, "ORDERS", jetstream.ConsumerConfig{
		Durable:       "billing",
		FilterSubject: "orders.v1.>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	done := make(chan struct{})
	seen := 0
	cc, _ := cons.Consume(func(m jetstream.Msg) {
		h := m.Headers()
		fmt.Println(m.Subject(), h.Get("Order-Id"), h.Get("Stream-Version"), h.Get("Nats-Msg-Id"))
		_ = m.Ack()
		if seen++; seen == len(msgs) {
			close(done)
		}
	})
	defer cc.Stop()
	<-done
	// Output:
	// orders.v1.OrderPlaced o-1 1 e-1
	// orders.v1.OrderPaid o-1 2 e-2
}
