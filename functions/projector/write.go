package projector

import (
	"context"
	"errors"
	"fmt"

	"orderctx/domain/es"
)

// write stores a change conditioned on the view it was folded on. When
// another writer got there first, it reads the view again and folds the
// stream's events on top of it, until a write succeeds, nothing is left to
// apply, or MaxAttempts writes lost. It returns how many writes lost.
func (p *Projector) write(ctx context.Context, c *change) (int, error) {
	for lost := 0; ; lost++ {
		var (
			etag string
			err  error
		)
		if c.base == nil {
			etag, err = p.views.Create(ctx, c.next)
		} else {
			etag, err = p.views.Replace(ctx, c.next, c.base.ETag)
		}
		if err == nil {
			p.cache.put(c.s.orderID, Stored{View: c.next, ETag: etag})
		}
		if !errors.Is(err, es.ErrConcurrency) {
			return lost, err
		}
		if lost+1 >= p.maxAttempts {
			return lost + 1, fmt.Errorf("view %s: %d writes lost to other writers: %w", c.s.orderID, lost+1, err)
		}
		stored, err := p.read(ctx, []string{c.s.orderID})
		if err != nil {
			p.cache.drop(c.s.orderID)
			return lost + 1, err
		}
		again, err := c.s.planOn(stored[c.s.orderID])
		if err != nil || again == nil {
			return lost + 1, err
		}
		*c = *again
	}
}
