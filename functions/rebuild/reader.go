package rebuild

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"orderctx/functions"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/replay"
)

// reader is a rebuild's own reader of the events feed, running.
type reader struct {
	r      *replay.Replay
	failed chan error // receives Run's error if it stops by itself
	done   chan struct{}
}

// startReader replays the events feed into c under the lease prefix.
func startReader(ctx context.Context, conn *cosmosdb.Conn, prefix string, c functions.Consumer, poll time.Duration, log *slog.Logger) (*reader, error) {
	r, err := replay.New(conn, replay.Options{Container: cosmosdb.Events, Prefix: prefix, PollDelay: poll, Log: log,
		Handle: func(ctx context.Context, docs []json.RawMessage) error {
			_, err := c.Handle(ctx, docs)
			return err
		}})
	if err != nil {
		return nil, err
	}
	x := &reader{r: r, failed: make(chan error, 1), done: make(chan struct{})}
	go func() {
		defer close(x.done)
		if err := r.Run(context.WithoutCancel(ctx)); err != nil {
			x.failed <- err
		}
	}()
	return x, nil
}

// stop finishes the batches in hand, checkpoints them and releases the
// leases (the next run with the prefix resumes there).
func (x *reader) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := x.r.Shutdown(ctx)
	<-x.done
	return err
}
