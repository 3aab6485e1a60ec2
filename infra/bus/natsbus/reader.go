package natsbus

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"orderctx/functions/verify/check"
)

// readBatch is how many messages the reader asks the server for at a time.
const readBatch = 4096

// Reader reads the messages stored in the stream, for `orderctx verify`. It
// implements check.Bus. Unlike Open it never creates or changes the stream.
type Reader struct {
	srv    *Server // nil with an external server
	nc     *nats.Conn
	stream jetstream.Stream
	name   string
}

var _ check.Bus = (*Reader)(nil)

// ErrNoStream reports that the stream does not exist.
var ErrNoStream = errors.New("natsbus: the stream does not exist")

// OpenReader connects to c.URL or, without one, starts the embedded server
// on c.DataDir taking in-process connections only (no socket): only while
// no other process runs a server on that directory.
func OpenReader(ctx context.Context, c Config) (*Reader, error) {
	c = c.withDefaults()
	r := &Reader{name: c.Stream}
	var err error
	opts := []nats.Option{nats.Name("orderctx verify")}
	if c.URL == "" {
		if c.Memory {
			return nil, errors.New("natsbus: a reader needs a data directory or a URL, not memory")
		}
		if r.srv, err = startServer(c, false); err != nil {
			return nil, err
		}
		r.nc, err = nats.Connect("", append(opts, nats.InProcessServer(r.srv.ns))...)
	} else {
		r.nc, err = nats.Connect(c.URL, opts...)
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("natsbus: connect: %w", err)
	}
	js, err := jetstream.New(r.nc)
	if err == nil {
		r.stream, err = js.Stream(ctx, c.Stream)
	}
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		err = fmt.Errorf("%w: %s", ErrNoStream, c.Stream)
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Messages implements check.Bus: an ordered consumer over the whole stream,
// headers only, up to the last message stored when it starts.
func (r *Reader) Messages(ctx context.Context, fn func(check.Message) error) (check.BusState, error) {
	info, err := r.stream.Info(ctx)
	if err != nil {
		return check.BusState{}, fmt.Errorf("natsbus: stream %s: %w", r.name, err)
	}
	st := info.State
	state := check.BusState{Name: r.name, FirstSeq: st.FirstSeq, FirstTime: st.FirstTime, LastSeq: st.LastSeq}
	if st.Msgs == 0 {
		return state, nil
	}
	cons, err := r.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, HeadersOnly: true})
	if err != nil {
		return state, fmt.Errorf("natsbus: read %s: %w", r.name, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(readBatch))
	if err != nil {
		return state, fmt.Errorf("natsbus: read %s: %w", r.name, err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return state, fmt.Errorf("natsbus: read %s: %w", r.name, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return state, fmt.Errorf("natsbus: read %s: %w", r.name, err)
		}
		h := m.Headers()
		version, _ := strconv.ParseInt(h.Get(HeaderStreamVersion), 10, 64)
		if err := fn(check.Message{Seq: md.Sequence.Stream, ID: h.Get(HeaderMsgID), Subject: m.Subject(), StreamVersion: version}); err != nil {
			return state, err
		}
		if md.Sequence.Stream >= st.LastSeq {
			return state, nil
		}
	}
}

// Close closes the connection and stops the embedded server.
func (r *Reader) Close() error {
	if r.nc != nil {
		r.nc.Close()
	}
	if r.srv != nil {
		r.srv.Shutdown()
	}
	return nil
}
