package check

import (
	"context"
	"runtime"
)

// pipeline reads a feed one page ahead of its consumer and runs decode on
// every document of a page on up to workers goroutines (a page each), and
// hands the decoded pages to each in feed order, on the caller's goroutine.
// Memory stays bounded: at most 2*workers pages are read and not yet
// consumed. decode must be safe for concurrent use; each need not be.
func pipeline[T any](ctx context.Context, f Feed, workers int, decode func([]byte) T, each func([]T)) (int, error) {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type page struct {
		out  []T
		done chan struct{}
	}
	pages := make(chan *page, 2*workers)
	slots := make(chan struct{}, workers)
	var readErr error // written before pages is closed, read after
	go func() {
		defer close(pages)
		for {
			docs, caughtUp, err := f.Next(ctx)
			if err != nil {
				readErr = err
				return
			}
			if caughtUp && len(docs) == 0 {
				return
			}
			p := &page{out: make([]T, len(docs)), done: make(chan struct{})}
			select {
			case pages <- p:
			case <-ctx.Done():
				return
			}
			slots <- struct{}{}
			go func() {
				defer func() { <-slots; close(p.done) }()
				for i, d := range docs {
					p.out[i] = decode(d)
				}
			}()
		}
	}()
	n := 0
	for p := range pages {
		<-p.done
		each(p.out)
		n += len(p.out)
	}
	return n, readErr
}
