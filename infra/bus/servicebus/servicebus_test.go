package servicebus_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"orderctx/functions/publisher"
	"orderctx/functions/publisher/contracts"
	"orderctx/infra/bus/servicebus"
)

var _ publisher.Bus = (*servicebus.Sender)(nil)

func ptr[T any](v T) *T { return &v }

var sample = contracts.Message{
	ID:            "0195a3c0-0000-4000-8000-000000000005",
	Contract:      contracts.OrderPaidV1,
	OrderID:       "o-1001",
	CorrelationID: "corr-1",
	CausationID:   "req-5",
	OccurredAt:    time.Date(2025, 3, 1, 13, 4, 0, 123456789, time.FixedZone("CET", 3600)),
	StreamVersion: 5,
	Body:          []byte(`{"orderId":"o-1001"}`),
}

func TestMessagesCarryTheEnvelope(t *testing.T) {
	t.Parallel()
	bare := sample
	bare.CorrelationID, bare.CausationID = "", ""
	tests := []struct {
		name string
		in   contracts.Message
		want *azservicebus.Message
	}{
		{"every field", sample, &azservicebus.Message{
			MessageID:     ptr("0195a3c0-0000-4000-8000-000000000005"),
			Subject:       ptr("orders.v1.OrderPaid"),
			SessionID:     ptr("o-1001"),
			CorrelationID: ptr("corr-1"),
			ContentType:   ptr("application/json"),
			ApplicationProperties: map[string]any{
				"eventType":     "orders.v1.OrderPaid",
				"orderId":       "o-1001",
				"causationId":   "req-5",
				"streamVersion": int64(5),
				"occurredAt":    "2025-03-01T12:04:00.123456789Z",
			},
			Body: []byte(`{"orderId":"o-1001"}`),
		}},
		{"no correlation or causation", bare, &azservicebus.Message{
			MessageID:   ptr("0195a3c0-0000-4000-8000-000000000005"),
			Subject:     ptr("orders.v1.OrderPaid"),
			SessionID:   ptr("o-1001"),
			ContentType: ptr("application/json"),
			ApplicationProperties: map[string]any{
				"eventType":     "orders.v1.OrderPaid",
				"orderId":       "o-1001",
				"streamVersion": int64(5),
				"occurredAt":    "2025-03-01T12:04:00.123456789Z",
			},
			Body: []byte(`{"orderId":"o-1001"}`),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := servicebus.ToMessage(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("message\n got %s\nwant %s", describe(got), describe(tc.want))
			}
		})
	}
}

func describe(m *azservicebus.Message) string {
	s := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	return "id=" + s(m.MessageID) + " subject=" + s(m.Subject) + " session=" + s(m.SessionID) + " correlation=" + s(m.CorrelationID) +
		" content-type=" + s(m.ContentType) + " body=" + string(m.Body) + fmt.Sprintf(" props=%#v", m.ApplicationProperties)
}

// fakeBatch holds messages up to a byte budget, as MessageBatch does.
type fakeBatch struct {
	budget int
	ids    []string
}

func (b *fakeBatch) AddMessage(m *azservicebus.Message, _ *azservicebus.AddMessageOptions) error {
	if len(m.Body) > b.budget {
		return azservicebus.ErrMessageTooLarge
	}
	b.budget -= len(m.Body)
	b.ids = append(b.ids, *m.MessageID)
	return nil
}

func (b *fakeBatch) NumMessages() int32 { return int32(len(b.ids)) }

func sized(sizes ...int) []*azservicebus.Message {
	out := make([]*azservicebus.Message, len(sizes))
	for i, n := range sizes {
		out[i] = &azservicebus.Message{MessageID: ptr(string(rune('a' + i))), Body: make([]byte, n)}
	}
	return out
}

func TestSendInBatches(t *testing.T) {
	t.Parallel()
	errSend := errors.New("link detached")
	tests := []struct {
		name     string
		sizes    []int
		max      int
		failSend int // fail the n-th send (1-based), 0 never
		want     []string
		wantErr  string
	}{
		{"one batch", []int{10, 10, 10}, 0, 0, []string{"abc"}, ""},
		{"split by size, in order", []int{60, 30, 20, 90, 5}, 0, 0, []string{"ab", "c", "de"}, ""},
		{"split by count", []int{1, 1, 1, 1, 1}, 2, 0, []string{"ab", "cd", "e"}, ""},
		{"one message per batch", []int{1, 1, 1}, 1, 0, []string{"a", "b", "c"}, ""},
		{"nothing to send", nil, 0, 0, nil, ""},
		{"a message larger than a batch", []int{10, 101, 10}, 0, 0, []string{"a"}, "message 1 (b)"},
		{"send fails", []int{60, 60, 60}, 0, 2, []string{"a"}, "link detached"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sent []string
			sends := 0
			newBatch := func(context.Context) (*fakeBatch, error) { return &fakeBatch{budget: 100}, nil }
			send := func(_ context.Context, b *fakeBatch) error {
				if sends++; sends == tc.failSend {
					return errSend
				}
				sent = append(sent, strings.Join(b.ids, ""))
				return nil
			}
			err := servicebus.SendInBatches(context.Background(), sized(tc.sizes...), tc.max, newBatch, send)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if !reflect.DeepEqual(sent, tc.want) {
				t.Fatalf("sent batches %q, want %q", sent, tc.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SERVICEBUS_NAMESPACE": " contoso ", "SERVICEBUS_TOPIC": "orders-v1"}
	c := servicebus.FromEnv(func(k string) string { return env[k] })
	if c.Namespace != "contoso" || c.Topic != "orders-v1" || c.ConnectionString != "" || !c.Configured() || c.Validate() != nil {
		t.Fatalf("FromEnv = %+v (valid: %v)", c, c.Validate())
	}
	if got := servicebus.FullyQualifiedNamespace(c); got != "contoso.servicebus.windows.net" {
		t.Fatalf("namespace %q", got)
	}
	if got := servicebus.FullyQualifiedNamespace(servicebus.Config{Namespace: "contoso.servicebus.chinacloudapi.cn"}); got != "contoso.servicebus.chinacloudapi.cn" {
		t.Fatalf("a full namespace was changed to %q", got)
	}
	tests := []struct {
		name string
		c    servicebus.Config
		want []string
	}{
		{"nothing", servicebus.Config{}, []string{"set SERVICEBUS_NAMESPACE"}},
		{"both", servicebus.Config{Namespace: "a", ConnectionString: "b"}, []string{"not both"}},
		{"a URL as namespace", servicebus.Config{Namespace: "sb://a.servicebus.windows.net/"}, []string{"host name"}},
		{"everything", servicebus.Config{Topic: "a b", MaxBatchMessages: -1}, []string{"SERVICEBUS_NAMESPACE", "topic", "MaxBatchMessages"}},
	}
	for _, tc := range tests {
		err := tc.c.Validate()
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Validate = %v, want %q", tc.name, err, w)
			}
		}
	}
	if _, err := servicebus.Open(servicebus.Config{ConnectionString: "not a connection string"}); err == nil {
		t.Fatal("Open accepted a malformed connection string")
	}
}
