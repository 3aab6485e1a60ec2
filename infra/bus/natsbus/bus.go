package natsbus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orderctx/functions/publisher/contracts"
)

// Header names of a published message, besides the subject (the contract
// name). Custom headers avoid the Nats- prefix, which the server reserves
// for its own (Nats-Msg-Id, Nats-Expected-*, ...).
const (
	HeaderMsgID         = jetstream.MsgIDHeader // the event id: JetStream's de-duplication key
	HeaderContentType   = "Content-Type"
	HeaderOrderID       = "Order-Id"
	HeaderCorrelationID = "Correlation-Id"
	HeaderCausationID   = "Causation-Id"
	HeaderOccurredAt    = "Occurred-At" // RFC 3339 with nanoseconds, UTC
	HeaderStreamVersion = "Stream-Version"
)

// drainTimeout bounds Close's wait for acks of messages still in flight.
const drainTimeout = 5 * time.Second

// Bus publishes to the JetStream stream, through the embedded server or an
// external one. It implements the publisher's Bus port.
type Bus struct {
	srv    *Server // nil with an external server
	nc     *nats.Conn
	js     jetstream.JetStream
	stream string
	url    string
	closed chan struct{} // closed when the connection is
}

// Result counts what JetStream did with a batch.
type Result struct {
	Stored     int // new messages
	Duplicates int // dropped: their id was seen within the duplicate window
}

// Open starts the embedded server (or connects to c.URL) and creates or
// updates the stream.
func Open(ctx context.Context, c Config) (*Bus, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	b := &Bus{stream: c.Stream, url: c.URL, closed: make(chan struct{})}
	opts := []nats.Option{
		nats.Name("orderctx integration publisher"),
		nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
	}
	var err error
	if c.URL == "" {
		if b.srv, err = StartServer(c); err != nil {
			return nil, err
		}
		b.url = b.srv.ClientURL()
		// The publisher talks to its own server in process, without a socket.
		b.nc, err = nats.Connect("", append(opts, nats.InProcessServer(b.srv.ns))...)
	} else {
		b.nc, err = nats.Connect(c.URL, opts...)
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("natsbus: connect %s: %w", b.url, err)
	}
	b.js, err = jetstream.New(b.nc, jetstream.WithPublishAsyncMaxPending(c.MaxPending), jetstream.WithPublishAsyncTimeout(c.AckTimeout))
	if err == nil {
		err = ensureStream(ctx, b.js, c)
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// ensureStream creates the stream or updates it to c: the configuration
// here is the source of truth, and running it again changes nothing.
func ensureStream(ctx context.Context, js jetstream.JetStream, c Config) error {
	storage := jetstream.FileStorage
	if c.Memory && c.URL == "" {
		storage = jetstream.MemoryStorage
	}
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "orderctx integration events (orders.v1); message id = source event id",
		Subjects:    c.Subjects,
		Storage:     storage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      c.MaxAge,
		Duplicates:  c.DuplicateWindow,
		Replicas:    c.Replicas,
	})
	if err != nil {
		return fmt.Errorf("natsbus: stream %s: %w", c.Stream, err)
	}
	return nil
}

// URL is where subscribers connect: the embedded server's client URL or the
// external server's.
func (b *Bus) URL() string { return b.url }

// Stream is the name of the JetStream stream.
func (b *Bus) Stream() string { return b.stream }

// Publish publishes msgs and waits for every ack; see PublishResult.
func (b *Bus) Publish(ctx context.Context, msgs []contracts.Message) error {
	_, err := b.PublishResult(ctx, msgs)
	return err
}

// PublishResult publishes msgs asynchronously, in order, on one connection,
// and waits for every ack. An error leaves some messages possibly stored:
// publishing the batch again stores only the others, as long as the retry
// comes within the duplicate window.
func (b *Bus) PublishResult(ctx context.Context, msgs []contracts.Message) (Result, error) {
	var res Result
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for i, m := range msgs {
		f, err := b.js.PublishMsgAsync(natsMsg(m))
		if err != nil {
			return res, fmt.Errorf("natsbus: publish message %d (%s %s): %w", i, m.Contract, m.ID, err)
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			if ack.Duplicate {
				res.Duplicates++
			} else {
				res.Stored++
			}
		case err := <-f.Err():
			return res, fmt.Errorf("natsbus: message %d (%s %s) not acknowledged: %w", i, msgs[i].Contract, msgs[i].ID, err)
		case <-ctx.Done():
			return res, fmt.Errorf("natsbus: waiting for acks: %w", ctx.Err())
		}
	}
	return res, nil
}

// natsMsg is the NATS form of a message: subject = contract name, the
// envelope in headers, the body as data.
func natsMsg(m contracts.Message) *nats.Msg {
	h := nats.Header{
		HeaderMsgID:         {m.ID},
		HeaderContentType:   {contracts.ContentType},
		HeaderOrderID:       {m.OrderID},
		HeaderOccurredAt:    {m.OccurredAt.UTC().Format(time.RFC3339Nano)},
		HeaderStreamVersion: {strconv.FormatInt(m.StreamVersion, 10)},
	}
	if m.CorrelationID != "" {
		h[HeaderCorrelationID] = []string{m.CorrelationID}
	}
	if m.CausationID != "" {
		h[HeaderCausationID] = []string{m.CausationID}
	}
	return &nats.Msg{Subject: m.Contract, Header: h, Data: m.Body}
}

// Close closes the connection (after flushing what is buffered) and stops
// the embedded server.
func (b *Bus) Close() error {
	var err error
	if b.nc != nil {
		// Drain returns at once; wait for the close so the server stops last.
		if err = b.nc.Drain(); err == nil {
			select {
			case <-b.closed:
			case <-time.After(drainTimeout):
			}
		}
		b.nc.Close()
		if errors.Is(err, nats.ErrConnectionClosed) {
			err = nil
		}
	}
	if b.srv != nil {
		b.srv.Shutdown()
	}
	return err
}
