package changefeed_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/changefeed"
)

// leasePrefix is what every lease id of a processor starts with:
// "<Prefix><database rid>_<container rid>", as in the .NET processor (which
// also puts the account host in).
func leasePrefix(t *testing.T, e *env, prefix string) string {
	t.Helper()
	resp, err := e.events.Read(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	props := resp.ContainerProperties
	db := strings.Split(strings.Trim(props.SelfLink, "/"), "/")[1]
	return prefix + db + "_" + props.ResourceID
}

func TestLeaseDocumentsHaveTheDotNetProcessorsShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	writeEvents(t, e.events, 4, 1, 2)
	rec := newRecorder()
	r := start(t, fastOptions(e, "shape.", rec.handle))
	waitFor(t, 5*time.Second, "8 events checkpointed", func() bool {
		n := int64(0)
		for _, s := range r.p.Stats().Leases {
			n += s.Processed
		}
		return n == 8
	})
	prefix := leasePrefix(t, e, "shape.")
	docs := leaseDocs(t, e.leases, "shape.")
	if len(docs) != 2 {
		t.Fatalf("%d leases for 2 ranges", len(docs))
	}
	for _, d := range docs {
		rng := d["FeedRange"].(map[string]any)["Range"].(map[string]any)
		token := rng["min"].(string) + "-" + rng["max"].(string)
		ts, err := time.Parse(time.RFC3339Nano, d["timestamp"].(string))
		switch {
		case d["id"] != prefix+".."+token, d["LeaseToken"] != token:
			t.Errorf("lease id %v, token %v; want %s..%s", d["id"], d["LeaseToken"], prefix, token)
		case d["version"] != 1.0, d["Mode"] != "Incremental Feed", d["properties"] == nil:
			t.Errorf("lease %v lacks the version, mode or properties", d)
		case d["Owner"] != r.p.Owner():
			t.Errorf("lease owner %v, want %s", d["Owner"], r.p.Owner())
		case err != nil || time.Since(ts) > time.Minute || len(strings.TrimSuffix(d["timestamp"].(string), "Z")) > len("2006-01-02T15:04:05.0000000"):
			t.Errorf("lease timestamp %v (a recent UTC time with at most 7 decimals): %v", d["timestamp"], err)
		}
		if c, _ := d["ContinuationToken"].(string); !strings.HasPrefix(c, `"`) {
			t.Errorf("continuation %v is not the feed's ETag", d["ContinuationToken"])
		}
	}
	if _, err := e.leases.ReadItem(context.Background(), azcosmos.NewPartitionKeyString(prefix+".info"), prefix+".info", nil); err != nil {
		t.Fatalf("no bootstrap marker: %v", err)
	}
}

func TestAnAbandonedBootstrapLockIsBroken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	lock := leasePrefix(t, e, "lock") + ".lock"
	body, _ := json.Marshal(map[string]any{"id": lock, "timestamp": time.Now().Add(-time.Hour)})
	if _, err := e.leases.CreateItem(context.Background(), azcosmos.NewPartitionKeyString(lock), body, nil); err != nil {
		t.Fatal(err)
	}
	writeEvents(t, e.events, 2, 1, 1)
	rec := newRecorder()
	start(t, fastOptions(e, "lock", rec.handle))
	waitFor(t, 5*time.Second, "the events", func() bool { return rec.count() == 2 })
	if n := len(leaseDocs(t, e.leases, "lock")); n != 2 {
		t.Fatalf("%d leases after breaking the lock, want 2", n)
	}
}

func TestAMissingLeaseContainerIsAnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	db, _ := e.client.NewDatabase("db")
	missing, _ := db.NewContainer("no-such-leases")
	o := fastOptions(e, "missing", newRecorder().handle)
	o.Leases = missing
	p, err := changefeed.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Run(ctx); err == nil || !strings.Contains(err.Error(), "no-such-leases") {
		t.Fatalf("Run = %v, want an error naming the lease container", err)
	}
	if _, err := missing.Read(context.Background(), nil); err == nil {
		t.Fatal("the processor created the lease container")
	}
}
