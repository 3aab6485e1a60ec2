package servicebus

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"orderctx/functions/publisher/contracts"
)

// Sender sends integration messages to the topic. It implements the
// publisher's Bus port.
type Sender struct {
	client   *azservicebus.Client
	sender   *azservicebus.Sender
	maxBatch int
}

// Open creates the client and the topic sender; the connection is made on
// the first send.
func Open(c Config) (*Sender, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var client *azservicebus.Client
	var err error
	if c.ConnectionString != "" {
		client, err = azservicebus.NewClientFromConnectionString(c.ConnectionString, nil)
	} else {
		var cred *azidentity.DefaultAzureCredential
		if cred, err = azidentity.NewDefaultAzureCredential(nil); err == nil {
			client, err = azservicebus.NewClient(c.fullyQualifiedNamespace(), cred, nil)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("servicebus: client: %w", err)
	}
	s, err := client.NewSender(c.topic(), nil)
	if err != nil {
		_ = client.Close(context.Background())
		return nil, fmt.Errorf("servicebus: sender for topic %s: %w", c.topic(), err)
	}
	return &Sender{client: client, sender: s, maxBatch: c.MaxBatchMessages}, nil
}

// Publish sends msgs in order, in batches; it returns after the service has
// accepted every batch. After an error some batches may have been accepted;
// sending all again is safe within the topic's duplicate detection window.
func (s *Sender) Publish(ctx context.Context, msgs []contracts.Message) error {
	out := make([]*azservicebus.Message, len(msgs))
	for i, m := range msgs {
		out[i] = toMessage(m)
	}
	newBatch := func(ctx context.Context) (*azservicebus.MessageBatch, error) {
		return s.sender.NewMessageBatch(ctx, nil)
	}
	send := func(ctx context.Context, b *azservicebus.MessageBatch) error {
		return s.sender.SendMessageBatch(ctx, b, nil)
	}
	return sendInBatches(ctx, out, s.maxBatch, newBatch, send)
}

// Close closes the sender and the client.
func (s *Sender) Close(ctx context.Context) error {
	return errors.Join(s.sender.Close(ctx), s.client.Close(ctx))
}

// batch is what sendInBatches needs of *azservicebus.MessageBatch.
type batch interface {
	AddMessage(m *azservicebus.Message, options *azservicebus.AddMessageOptions) error
	NumMessages() int32
}

// sendInBatches fills a batch until the next message does not fit (or max
// messages, when max > 0), sends it, and goes on with a new one, so the
// messages arrive in order in as few sends as the size limit allows.
func sendInBatches[B batch](ctx context.Context, msgs []*azservicebus.Message, max int,
	newBatch func(context.Context) (B, error), send func(context.Context, B) error) error {
	b := batcher[B]{ctx: ctx, newBatch: newBatch, send: send}
	for i, m := range msgs {
		if b.open && max > 0 && int(b.cur.NumMessages()) >= max {
			if err := b.flush(); err != nil {
				return fmt.Errorf("servicebus: before message %d: %w", i, err)
			}
		}
		err := b.add(m)
		if errors.Is(err, azservicebus.ErrMessageTooLarge) && b.cur.NumMessages() > 0 {
			if err = b.flush(); err == nil {
				err = b.add(m)
			}
		}
		if err != nil {
			return fmt.Errorf("servicebus: message %d (%s): %w", i, *m.MessageID, err)
		}
	}
	if b.open && b.cur.NumMessages() > 0 {
		if err := b.flush(); err != nil {
			return fmt.Errorf("servicebus: last batch: %w", err)
		}
	}
	return nil
}

// batcher holds the batch being filled.
type batcher[B batch] struct {
	ctx      context.Context
	newBatch func(context.Context) (B, error)
	send     func(context.Context, B) error
	cur      B
	open     bool
}

// add adds m to the current batch, opening one if needed.
func (b *batcher[B]) add(m *azservicebus.Message) error {
	if !b.open {
		cur, err := b.newBatch(b.ctx)
		if err != nil {
			return fmt.Errorf("new batch: %w", err)
		}
		b.cur, b.open = cur, true
	}
	return b.cur.AddMessage(m, nil)
}

// flush sends the current batch.
func (b *batcher[B]) flush() error {
	b.open = false
	if err := b.send(b.ctx, b.cur); err != nil {
		return fmt.Errorf("send a batch of %d messages: %w", b.cur.NumMessages(), err)
	}
	return nil
}
