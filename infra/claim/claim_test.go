package claim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderctx/infra/claim"
	"orderctx/infra/cosmosdb/cosmosdbtest"
)

// clock is a settable time for expiry.
type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

func newStore(t *testing.T) (*claim.Store, *clock) {
	t.Helper()
	c := &clock{}
	c.now.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return claim.New(cosmosdbtest.Embedded(t, 2)).WithClock(c.Now), c
}

func TestASecondOwnerIsRefusedUntilExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clk := newStore(t)
	a, err := s.Acquire(ctx, "job", "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if a, err = s.Save(ctx, a, json.RawMessage(`{"phase":"filling"}`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(ctx, "job", "b", time.Minute); !errors.Is(err, claim.ErrHeld) {
		t.Fatalf("second owner: %v, want ErrHeld", err)
	}
	if _, err := s.Acquire(ctx, "job", "a", time.Minute); err != nil {
		t.Fatalf("the holder acquiring again: %v", err)
	}
	clk.Advance(2 * time.Minute)
	b, err := s.Acquire(ctx, "job", "b", time.Minute)
	if err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if string(b.State) != `{"phase":"filling"}` || b.Owner != "b" {
		t.Fatalf("taken over: %+v; want the state kept", b)
	}
	if _, err := s.Renew(ctx, a, time.Minute); !errors.Is(err, claim.ErrLost) {
		t.Fatalf("the old owner renewing: %v, want ErrLost", err)
	}
}

func TestReleaseKeepsTheStateAndFreesTheClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	a, err := s.Acquire(ctx, "job", "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a, err = s.Save(ctx, a, json.RawMessage(`{"target":"views-2"}`), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	b, err := s.Acquire(ctx, "job", "b", time.Minute)
	if err != nil || string(b.State) != `{"target":"views-2"}` {
		t.Fatalf("after a release: %+v, %v", b, err)
	}
	if err := s.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Read(ctx, "job"); got != nil || err != nil {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
	if err := s.Delete(ctx, b); !errors.Is(err, claim.ErrLost) {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestOfManyClaimingAtOnceOneWins(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	var wins, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Acquire(context.Background(), "job", fmt.Sprintf("owner-%d", i), time.Minute)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, claim.ErrHeld):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || refused.Load() != 7 {
		t.Fatalf("%d won, %d refused; want 1 and 7", wins.Load(), refused.Load())
	}
}
