package funchost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/domain/es"
	"orderctx/functions/consumers"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
)

// The workload of every scenario: commands on a few dozen orders, written in
// rounds while the funchost processes run, so that they process a live feed.
const (
	orders = 40
	round  = 200 // commands per round
)

// TestKilledProcessesRangesAreTakenOver: 2 and 3 funchost processes share
// the three functions' leases on 4 ranges; one is killed with SIGKILL while
// they process; the survivors take over its ranges (after its leases
// expire) and process what comes after; the end state is exact, and a
// graceful stop releases every lease.
func TestKilledProcessesRangesAreTakenOver(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d processes", n), func(t *testing.T) {
			r := newRig(t, 4)
			procs := r.startN(n)
			r.round("kill", 1)
			r.await("every process to hold leases of every function", func() bool { return r.sharedBy(procs...) })
			r.round("kill", 2)
			procs[0].Kill() // while the round just written is being processed
			r.round("kill", 3)
			r.await("the survivors to take over the killed process's leases", func() bool { return r.sharedBy(procs[1:]...) })
			r.round("kill", 4)
			r.verify(nil)
			for _, p := range procs[1:] {
				stop(t, p)
			}
			for _, l := range r.leases() {
				if l.PID != 0 {
					t.Fatalf("after a graceful stop of every process, %s lease %s is held by %d", l.Function, l.Token, l.PID)
				}
			}
		})
	}
}

// TestSplitWhileProcessing: two processes are processing when a physical
// partition of the events container splits (the store's control endpoint,
// as an operator's request would), then one of its children splits again:
// every function ends with one lease per range, shared by both processes,
// and the end state is exact.
func TestSplitWhileProcessing(t *testing.T) {
	r := newRig(t, 4)
	procs := r.startN(2)
	r.round("split", 1)
	children := r.split("0")
	r.round("split", 2)
	r.await("5 leases per function, tiling the key space", func() bool { return r.tiled(5) })
	r.split(children[1])
	r.round("split", 3)
	r.await("6 leases per function, tiling the key space, shared by both processes", func() bool {
		return r.tiled(6) && r.sharedBy(procs...)
	})
	r.round("split", 4)
	r.verify(nil)
}

// TestPoisonParksOnlyItsStream: an event document that no consumer can
// decode (an unknown type) is written into one order's stream, followed by
// three good ones. Every consumer parks that event and the three behind it
// in deadletters and nothing else; every other order's view, messages and
// snapshots are exact, the poisoned order's up to the event before.
func TestPoisonParksOnlyItsStream(t *testing.T) {
	r := newRig(t, 4)
	r.startN(2)
	r.round("poison", 1)
	r.verify(nil)
	p := r.poison(r.history().longest(), 3)
	// Later orders share the ranges and batches with the poisoned one.
	r.round("after", 2)
	r.verify(p)
}

// TestCrashLoopEndsInTheSameState: one funchost is killed with SIGKILL at a
// random moment of its work and started again, eight times, while orders
// are written; the last one finishes. The end state is exact: nothing lost,
// nothing applied or published twice.
func TestCrashLoopEndsInTheSameState(t *testing.T) {
	r := newRig(t, 4)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 8 {
		p := r.start()
		r.await("the new process to hold every lease", func() bool { return r.sharedBy(p) })
		r.world.Workload(t, uint64(i), fmt.Sprintf("crash-%d", i), orders, 10+rng.IntN(round))
		p.Kill()
	}
	r.start()
	r.round("crash", 99)
	r.verify(nil)
	t.Logf("%d projector batches held events already applied: delivered again after a kill", r.logLines(alreadyApplied))
}

// alreadyApplied matches the projector's summary of a batch that held
// events it had applied before.
var alreadyApplied = regexp.MustCompile(`projector: \d+ events: .* [1-9]\d* already applied`)

// TestOverHTTPToAHandlerProcess: two funchost processes own the leases and
// POST every batch to one `orderctx functions` process (the custom handler,
// started and probed as the Functions host starts it), which runs the
// consumers; one funchost is killed. The end state is exact.
func TestOverHTTPToAHandlerProcess(t *testing.T) {
	r := newRig(t, 4)
	handler := r.startHandler()
	procs := []*proc{r.start("-handler-url", handler), r.start("-handler-url", handler)}
	r.round("http", 1)
	r.await("both processes to hold leases of every function", func() bool { return r.sharedBy(procs...) })
	procs[0].Kill()
	r.round("http", 2)
	r.verify(nil)
}

// TestTransientFailuresAreRetried: the store answers 503 to every query of
// the deadletters container until each function's invocations have failed
// and been retried under its retry policy; then the store recovers. Nothing
// is parked, skipped or done twice: the end state is exact. A consumer that
// knows nothing of it is parked asks the container at least once a second
// while batches come (parking.DefaultRecheck), so commands keep coming until
// every function has failed.
func TestTransientFailuresAreRetried(t *testing.T) {
	r := newRig(t, 4)
	r.startN(2)
	r.round("fault", 1)
	r.verify(nil)
	r.control(http.MethodPost, "faults", []byte(`{"pathContains":"/colls/deadletters/docs","status":503}`), http.StatusNoContent)
	pending := []string{consumers.ProjectOrders, consumers.PublishIntegrationEvents, consumers.SnapshotOrders}
	deadline := time.Now().Add(within)
	for n := 2; len(pending) > 0; n++ {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %v to fail and be retried; leases: %+v", within, pending, r.leases())
		}
		r.world.Workload(t, uint64(n), fmt.Sprintf("fault-%d", n), 4, 20)
		pending = slices.DeleteFunc(pending, func(fn string) bool {
			return r.logLines(regexp.MustCompile(`invocation failed; retrying.* function=`+fn)) > 0
		})
	}
	r.control(http.MethodDelete, "faults", nil, http.StatusNoContent)
	r.verify(nil)
}

// round writes a round of commands on new orders and returns their ids.
func (r *rig) round(name string, n int) []string {
	r.t.Helper()
	return r.world.Workload(r.t, uint64(n), fmt.Sprintf("%s-%d", name, n), orders, round)
}

// poison writes an event document of an unknown type at the next version of
// a stream, then tail good events behind it (the stream's last payloads
// again), straight into the events container: the write side itself cannot
// load the stream any more. It returns where the poison is.
func (r *rig) poison(stream string, tail int) *poison {
	r.t.Helper()
	ctx := context.Background()
	replay := eventstore.New(r.conn, r.world.Registry)
	replay.AcceptSnapshots(func(es.Snapshot) bool { return false })
	loaded, err := replay.Load(ctx, stream)
	if err != nil || len(loaded.Events) < tail {
		r.t.Fatalf("load %s: %d events, %v", stream, len(loaded.Events), err)
	}
	reg := r.world.Registry
	at := loaded.Version + 1
	bad, err := reg.EncodeEnvelope(loaded.Events[0])
	if err != nil {
		r.t.Fatal(err)
	}
	bad.Type, bad.Version, bad.EventID = "order.gift_wrapped", at, es.NewEventID()
	docs := []es.EncodedEvent{bad}
	var payloads []es.Payload
	for _, e := range loaded.Events[len(loaded.Events)-tail:] {
		payloads = append(payloads, e.Payload)
	}
	good, err := reg.Stamp(stream, at, payloads, es.Causation{}, r.world.Clock.Now(), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, e := range good {
		enc, err := reg.EncodeEnvelope(e)
		if err != nil {
			r.t.Fatal(err)
		}
		docs = append(docs, enc)
	}
	events := r.conn.Container(cosmosdb.Events)
	for _, d := range docs {
		body, _ := json.Marshal(struct {
			ID string `json:"id"`
			es.EncodedEvent
		}{eventstore.EventDocumentID(stream, d.Version), d})
		if _, err := events.CreateItem(ctx, azcosmos.NewPartitionKeyString(stream), body, nil); err != nil {
			r.t.Fatal(err)
		}
	}
	return &poison{stream: stream, at: at}
}
