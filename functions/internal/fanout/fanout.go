// Package fanout runs the independent, CPU-bound steps of a batch (decoding
// documents, folding streams) on every processor, so that a consumer's
// sequential part does not leave a core idle while the other works.
package fanout

import (
	"runtime"
	"sync"
)

// Each calls f(i) for every i in [0, n), on up to GOMAXPROCS goroutines, each
// taking a contiguous share, and returns when all calls have returned.
func Each(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}
