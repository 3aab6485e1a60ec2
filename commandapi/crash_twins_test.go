package commandapi_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"orderctx/commandapi"
)

// twinRoundsEnv sets the number of rounds of TestReplayedAnswersSurviveKill9
// (default twinRounds).
const twinRoundsEnv = "ORDERCTX_TWIN_ROUNDS"

const (
	twinRounds = 10 // rounds by default; 30 reproduce the original report
	twinOrders = 24 // orders per round, each getting one add-item sent twice at once
)

// ackedCommand is a command a client got a 2xx answer to.
type ackedCommand struct {
	method, path, body, key string
	res                     commandapi.CommandResponse
}

// TestReplayedAnswersSurviveKill9 is the defect as it was found: two
// identical commands with one Idempotency-Key sent at once, the process
// killed (SIGKILL) the moment any answer says Idempotent-Replayed: true,
// restarted on the same directory, and every acknowledged command sent
// again. Each must come back replayed with the same version and event ids:
// an answer, replayed or not, may only rest on writes that survive the kill.
func TestReplayedAnswersSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	t.Parallel()
	rounds := twinRounds
	if v, err := strconv.Atoi(os.Getenv(twinRoundsEnv)); err == nil && v > 0 {
		rounds = v
	}
	dir := t.TempDir()
	ctx := context.Background()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * twinOrders}, Timeout: 10 * time.Second}
	child, base := startChild(t, dir)
	lostRounds, acked := 0, 0
	for round := range rounds {
		acks := placeOrders(t, ctx, client, base, round)
		twins, replayed := sendTwinsUntilReplay(ctx, client, base, round, func() {
			_ = child.Process.Signal(syscall.SIGKILL)
		})
		_ = child.Wait()
		if !replayed {
			t.Fatalf("round %d: no answer was a replay, so the defect's race was not exercised", round)
		}
		acks = append(acks, twins...)
		child, base = startChild(t, dir)
		if lost := resendAcked(t, ctx, client, base, round, acks); lost > 0 {
			lostRounds++
		}
		acked += len(acks)
	}
	if lostRounds > 0 {
		t.Fatalf("in %d of %d rounds an acknowledged answer did not survive kill -9", lostRounds, rounds)
	}
	t.Logf("%d rounds, %d acknowledged answers, all survived kill -9 at the first replayed answer", rounds, acked)
}

// placeOrders places the round's orders, all of which must be accepted.
func placeOrders(t *testing.T, ctx context.Context, client *http.Client, base string, round int) []ackedCommand {
	t.Helper()
	acks := make([]ackedCommand, twinOrders)
	errs := make([]error, twinOrders)
	var wg sync.WaitGroup
	for i := range twinOrders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := ackedCommand{method: http.MethodPost, path: "/orders", body: orderBody(twinOrderID(round, i)), key: twinOrderID(round, i) + "-place"}
			r, err := send(ctx, client, base, a.method, a.path, a.body, map[string]string{"Idempotency-Key": a.key})
			if err == nil && r.status != http.StatusCreated {
				err = fmt.Errorf("status %d %s", r.status, r.rule)
			}
			a.res = r.response
			acks[i], errs[i] = a, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("round %d: place %s: %v", round, twinOrderID(round, i), err)
		}
	}
	return acks
}

// sendTwinsUntilReplay sends every order's add-item twice at once with one
// key, calls kill as soon as an answer is a replay, and returns every 2xx
// answer that arrived (requests cut off by the kill fail and are not acks),
// and whether one was a replay.
func sendTwinsUntilReplay(ctx context.Context, client *http.Client, base string, round int, kill func()) (acks []ackedCommand, replayed bool) {
	var (
		mu     sync.Mutex
		killed sync.Once
		wg     sync.WaitGroup
	)
	start := make(chan struct{})
	for i := range twinOrders {
		orderID := twinOrderID(round, i)
		a := ackedCommand{method: http.MethodPost, path: "/orders/" + orderID + "/items",
			body: `{"productId":"p-2","name":"Tea","quantity":3,"unitPrice":199}`, key: orderID + "-add"}
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, err := send(ctx, client, base, a.method, a.path, a.body, map[string]string{"Idempotency-Key": a.key})
				if err != nil || r.status >= 300 {
					return
				}
				if r.replayed {
					killed.Do(kill)
				}
				mu.Lock()
				replayed = replayed || r.replayed
				acks = append(acks, ackedCommand{a.method, a.path, a.body, a.key, r.response})
				mu.Unlock()
			}()
		}
	}
	close(start)
	wg.Wait()
	killed.Do(kill) // no replay at all: the round still ends in a kill
	return acks, replayed
}

// resendAcked sends every acknowledged command again with its key and
// reports how many were not answered as the same replay.
func resendAcked(t *testing.T, ctx context.Context, client *http.Client, base string, round int, acks []ackedCommand) (lost int) {
	t.Helper()
	for _, a := range acks {
		r, err := send(ctx, client, base, a.method, a.path, a.body, map[string]string{"Idempotency-Key": a.key})
		if err != nil {
			t.Fatalf("round %d: resend %s: %v", round, a.key, err)
		}
		if r.status >= 300 || !r.replayed || r.response.Version != a.res.Version || !slices.Equal(r.response.EventIDs, a.res.EventIDs) {
			lost++
			t.Errorf("round %d: acknowledged %s %+v, after kill -9 answered %d %s replayed=%v %+v",
				round, a.key, a.res, r.status, r.rule, r.replayed, r.response)
		}
	}
	return lost
}

func twinOrderID(round, i int) string { return fmt.Sprintf("twin-r%d-o%d", round, i) }
