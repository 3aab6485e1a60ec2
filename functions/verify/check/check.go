package check

import (
	"context"
	"errors"
	"fmt"
	"time"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/domain/orderview"
	"orderctx/functions/publisher/contracts"
)

// Feed is one container's documents, from the beginning of its change feed,
// page by page (infra/feedreader.Reader): the latest version of every item
// once. An empty page with caughtUp set ends it.
type Feed interface {
	Next(ctx context.Context) (docs [][]byte, caughtUp bool, err error)
}

// ViewSource is a place that holds the order views: the views container, or
// a copy of it.
type ViewSource struct {
	Name string
	Feed Feed
	// Stored, when set, is how the source keeps a view (a copy may keep
	// times at a coarser precision): the fold goes through it before it is
	// compared. Nil: the source keeps views as they are.
	Stored func(orderview.View) orderview.View
}

// Message is one message stored in the integration-event stream.
type Message struct {
	Seq uint64
	// ID is the message id (Nats-Msg-Id): the source event's id.
	ID string
	// Subject is the contract name.
	Subject string
	// StreamVersion is the Stream-Version header; 0 when absent.
	StreamVersion int64
}

// BusState is what the integration-event stream holds when it is read.
type BusState struct {
	Name     string
	FirstSeq uint64
	// FirstTime is when the first retained message was stored.
	FirstTime time.Time
	LastSeq   uint64
}

// Bus reads the integration-event stream.
type Bus interface {
	// Messages calls fn with every message stored when it starts, in
	// sequence order, and returns the stream's state at the start.
	Messages(ctx context.Context, fn func(Message) error) (BusState, error)
}

// Sources are what a check reads. Events, Snapshots and Letters are required.
type Sources struct {
	Events, Snapshots, Letters Feed
	// Views are compared with the fold of each order's stream, each on its
	// own (at most 8).
	Views []ViewSource
	// Bus, when set, is compared with the events.
	Bus Bus
}

// DefaultMaxDiffs bounds the differences and letters a report holds.
const DefaultMaxDiffs = 100

// maxViewSources bounds Sources.Views: a stream remembers which sources
// hold its view in one byte.
const maxViewSources = 8

// Options tune a check; the zero value is usable.
type Options struct {
	// MaxDiffs bounds the differences and letters the report keeps (all are
	// counted); 0 means DefaultMaxDiffs, negative keeps none.
	MaxDiffs int
	// Registry decodes and upcasts events; nil means the order events'.
	Registry *es.Registry
	// Contracts is the publishing table; nil means contracts.OrdersV1().
	Contracts contracts.Table
	// Progress, when set, is called as each phase starts (with 0) and
	// after every page read with the documents read in the phase so far.
	Progress func(phase string, items int)
	// Workers decode documents (0: GOMAXPROCS).
	Workers int
	// Acks are commands the command API acknowledged: each must be in the
	// store as its answer said, once (see Ack).
	Acks []Ack
}

// Run reads every source and returns what differs. It reads the letters and
// the snapshots first (so that the fold knows where to stop and what to
// compare on its way), then the events, folding each order stream in feed
// order, then the views, then the bus. An error means the check could not
// be made (a source failed); differences are in the report.
func Run(ctx context.Context, src Sources, opts Options) (*Report, error) {
	c, err := newChecker(src, opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	steps := []step{{"letters", c.readLetters}, {"snapshots", c.readSnapshots}, {"events", c.readEvents}}
	for i, v := range src.Views {
		steps = append(steps, step{"views:" + v.Name, func(ctx context.Context) (int, error) { return c.readViews(ctx, i, v) }})
	}
	if src.Bus != nil {
		steps = append(steps, step{"bus", c.readBus})
	}
	for _, s := range steps {
		c.opts.Progress(s.name, 0)
		t := time.Now()
		n, err := s.run(ctx)
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", s.name, err)
		}
		c.report.Phases = append(c.report.Phases, Phase{Name: s.name, Items: n, Elapsed: time.Since(t)})
	}
	c.report.Elapsed = time.Since(start)
	return c.report, nil
}

// step is one phase of a check: it reads one source and returns how many
// items it read.
type step struct {
	name string
	run  func(context.Context) (int, error)
}

func newChecker(src Sources, opts Options) (*checker, error) {
	var problems []error
	if src.Events == nil || src.Snapshots == nil || src.Letters == nil {
		problems = append(problems, errors.New("check: the events, snapshots and letters feeds are required"))
	}
	if len(src.Views) > maxViewSources {
		problems = append(problems, fmt.Errorf("check: %d view sources, at most %d", len(src.Views), maxViewSources))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if opts.MaxDiffs == 0 {
		opts.MaxDiffs = DefaultMaxDiffs
	}
	if opts.Registry == nil {
		reg, err := order.NewRegistry()
		if err != nil {
			return nil, err
		}
		opts.Registry = reg
	}
	if opts.Contracts == nil {
		opts.Contracts = contracts.OrdersV1()
	}
	if opts.Progress == nil {
		opts.Progress = func(string, int) {}
	}
	r := &Report{ByKind: map[Kind]int{}, maxDiffs: max(opts.MaxDiffs, 0), Counts: Counts{Views: map[string]int{}, Messages: -1}}
	c := &checker{src: src, opts: opts, report: r, ids: newIDs(), streamIndex: map[string]uint32{},
		nameIndex: map[string]uint16{}, cuts: map[string]cuts{}, snapshots: map[string]*snapshot{}}
	if len(opts.Acks) > 0 {
		c.acks = newAcks(opts.Acks, c.ids)
		r.Counts.Acks = len(c.acks.byCommand)
	}
	return c, nil
}

// readAll calls fn with every document of a feed and returns how many it read.
func readAll(ctx context.Context, f Feed, phase string, progress func(string, int), fn func([]byte)) (int, error) {
	n := 0
	for {
		docs, caughtUp, err := f.Next(ctx)
		if err != nil {
			return n, err
		}
		if caughtUp && len(docs) == 0 {
			return n, nil
		}
		for _, d := range docs {
			fn(d)
		}
		n += len(docs)
		progress(phase, n)
	}
}
