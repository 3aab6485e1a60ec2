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
		var err error
		if c.base == nil {
			err = p.views.Create(ctx, c.next)
		} else {
			err = p.views.Replace(ctx, c.next, c.base.ETag)
		}
		if !errors.Is(err, es.ErrConcurrency) {
			return lost, err
		}
		if lost+1 >= p.maxAttempts {
			return lost + 1, fmt.Errorf("view %s: %d writes lost to other writers: %w", c.s.orderID, lost+1, err)
		}
		stored, err := p.views.Get(ctx, []string{c.s.orderID})
		if err != nil {
			return lost + 1, fmt.Errorf("read view %s again: %w", c.s.orderID, err)
		}
		again, err := c.s.plan(stored)
		if err != nil || again == nil {
			return lost + 1, err
		}
		*c = *again
	}
}
