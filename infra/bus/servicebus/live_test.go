package servicebus_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"orderctx/domain/es"
	"orderctx/functions/publisher/contracts"
	"orderctx/infra/bus/servicebus"
)

// TestLiveSendPath sends to a real namespace when one is configured:
// SERVICEBUS_CONNECTION_STRING or SERVICEBUS_NAMESPACE (Entra ID), the topic
// in SERVICEBUS_TOPIC (default "orders", duplicate detection on). It sends a
// batch twice; with SERVICEBUS_SUBSCRIPTION (a subscription used only by this
// test; SERVICEBUS_SUBSCRIPTION_SESSIONS=true if it requires sessions) it
// also receives and checks each message arrived once, in order per order.
func TestLiveSendPath(t *testing.T) {
	c := servicebus.FromEnv(os.Getenv)
	if !c.Configured() {
		t.Skip("no Service Bus namespace: set SERVICEBUS_CONNECTION_STRING or SERVICEBUS_NAMESPACE (and SERVICEBUS_TOPIC, SERVICEBUS_SUBSCRIPTION) to run the send path against Azure")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := servicebus.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	run := es.NewEventID()
	var msgs []contracts.Message
	for v := int64(1); v <= 3; v++ {
		for _, o := range []string{"a", "b"} {
			msgs = append(msgs, contracts.Message{ID: fmt.Sprintf("%s-%s-%d", run, o, v), Contract: contracts.OrderPaidV1,
				OrderID: run + "-" + o, CorrelationID: run, OccurredAt: time.Now().UTC(), StreamVersion: v, Body: []byte(`{}`)})
		}
	}
	for attempt := range 2 {
		if err := s.Publish(ctx, msgs); err != nil {
			t.Fatalf("send %d: %v", attempt+1, err)
		}
	}
	sub := os.Getenv("SERVICEBUS_SUBSCRIPTION")
	if sub == "" {
		t.Log("sent twice; set SERVICEBUS_SUBSCRIPTION to check what arrives")
		return
	}
	got := receiveRun(ctx, t, c, sub, run, []string{run + "-a", run + "-b"})
	for _, o := range []string{"a", "b"} {
		want := []string{run + "-" + o + "-1", run + "-" + o + "-2", run + "-" + o + "-3"}
		if !slices.Equal(got[run+"-"+o], want) {
			t.Errorf("order %s received %v, want each of %v once, in order", o, got[run+"-"+o], want)
		}
	}
}

// receiver is what receiveRun needs of a plain or a session receiver.
type receiver interface {
	ReceiveMessages(context.Context, int, *azservicebus.ReceiveMessagesOptions) ([]*azservicebus.ReceivedMessage, error)
	CompleteMessage(context.Context, *azservicebus.ReceivedMessage, *azservicebus.CompleteMessageOptions) error
	Close(context.Context) error
}

// receiveRun receives this run's message ids by order id: with one receiver
// per session (order) when the subscription requires sessions, else one
// receiver for all.
func receiveRun(ctx context.Context, t *testing.T, c servicebus.Config, sub, run string, orders []string) map[string][]string {
	t.Helper()
	client := liveClient(t, c)
	defer client.Close(ctx)
	topic := c.Topic
	if topic == "" {
		topic = servicebus.DefaultTopic
	}
	var receivers []receiver
	if os.Getenv("SERVICEBUS_SUBSCRIPTION_SESSIONS") == "true" {
		for _, o := range orders {
			r, err := client.AcceptSessionForSubscription(ctx, topic, sub, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			receivers = append(receivers, r)
		}
	} else {
		r, err := client.NewReceiverForSubscription(topic, sub, nil)
		if err != nil {
			t.Fatal(err)
		}
		receivers = append(receivers, r)
	}
	got := map[string][]string{}
	for _, r := range receivers {
		drain(ctx, t, r, run, got)
		_ = r.Close(ctx)
	}
	return got
}

// drain receives until 10 s pass without a message, completing everything
// and keeping this run's ids.
func drain(ctx context.Context, t *testing.T, r receiver, run string, got map[string][]string) {
	t.Helper()
	for {
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		batch, err := r.ReceiveMessages(wait, 10, nil)
		cancel()
		if err != nil && ctx.Err() != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return
		}
		for _, m := range batch {
			if strings.HasPrefix(m.MessageID, run) && m.SessionID != nil {
				got[*m.SessionID] = append(got[*m.SessionID], m.MessageID)
			}
			if err := r.CompleteMessage(ctx, m, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func liveClient(t *testing.T, c servicebus.Config) *azservicebus.Client {
	t.Helper()
	if c.ConnectionString != "" {
		client, err := azservicebus.NewClientFromConnectionString(c.ConnectionString, nil)
		if err != nil {
			t.Fatal(err)
		}
		return client
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azservicebus.NewClient(servicebus.FullyQualifiedNamespace(c), cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	return client
}
