package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/eventstore"
	"orderctx/infra/eventstore/storetest"
)

func openEmbedded(t *testing.T) *cosmosdb.Conn {
	t.Helper()
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Memory: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestAcceptanceEmbedded(t *testing.T) {
	conn := openEmbedded(t)
	store := eventstore.New(conn, storetest.Registry())
	storetest.Run(t, func(t *testing.T) storetest.Stores { return store })
}

// TestAcceptanceConfigured runs the suite against a real account or emulator
// when COSMOS_ENDPOINT is set (with COSMOS_KEY, or Entra ID).
func TestAcceptanceConfigured(t *testing.T) {
	cfg := cosmosdb.ConfigFromEnv()
	if cfg.Endpoint == "" {
		t.Skip("set COSMOS_ENDPOINT (and COSMOS_KEY or an Entra ID login) to run against a real endpoint")
	}
	conn, err := cosmosdb.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	store := eventstore.New(conn, storetest.Registry())
	storetest.Run(t, func(t *testing.T) storetest.Stores { return store })
}

// TestOldSchemaIsUpcastOnLoad stores an order.placed event in its v1 shape
// (flat address) and loads it as the current v2 shape.
func TestOldSchemaIsUpcastOnLoad(t *testing.T) {
	t.Parallel()
	conn := openEmbedded(t)
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		t.Fatal(err)
	}
	store := eventstore.New(conn, reg)
	stream := order.StreamID("o-legacy")
	doc := map[string]any{
		"id": eventstore.EventDocumentID(stream, 1), "streamId": stream, "version": 1,
		"type": order.EventOrderPlaced, "schemaVersion": 1, "eventId": "e1", "occurredAt": "2025-01-02T03:04:05Z",
		"data": map[string]any{"orderId": "o-legacy", "buyerId": "b1", "currency": "EUR", "street": "1 Main St",
			"city": "Oslo", "postalCode": "0150", "country": "NO", "items": []any{}, "placedAt": "2025-01-02T03:04:05Z"},
	}
	b, _ := json.Marshal(doc)
	if _, err := conn.Container(cosmosdb.Events).CreateItem(context.Background(), azcosmos.NewPartitionKeyString(stream), b, nil); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(context.Background(), stream)
	if err != nil || len(got.Events) != 1 {
		t.Fatalf("load: %v", err)
	}
	o, err := order.Load("o-legacy", got.Events)
	if err != nil {
		t.Fatalf("rehydrate: %v", err)
	}
	if addr := o.State().ShippingAddress; addr.City != "Oslo" || addr.Street != "1 Main St" || addr.Country != "NO" {
		t.Fatalf("upcast address = %+v", addr)
	}
	if got.Events[0].SchemaVersion != order.OrderPlacedSchemaVersion {
		t.Fatalf("loaded schema version %d", got.Events[0].SchemaVersion)
	}
}

func TestSnapshotsOfOtherShapesAreIgnored(t *testing.T) {
	t.Parallel()
	conn := openEmbedded(t)
	reg := storetest.Registry()
	store := eventstore.New(conn, reg)
	store.AcceptSnapshots(func(s es.Snapshot) bool { return s.SchemaVersion == 2 })
	ctx := context.Background()
	envs, _ := reg.Stamp("s1", 0, []es.Payload{storetest.Happened{N: 1}, storetest.Happened{N: 2}}, es.Causation{}, timeNow(), nil)
	if _, err := store.Append(ctx, "s1", 0, envs); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteSnapshot(ctx, es.Snapshot{StreamID: "s1", SchemaVersion: 1, Version: 2, State: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx, "s1")
	if err != nil || got.Snapshot != nil || len(got.Events) != 2 {
		t.Fatalf("old-shape snapshot used: %+v %v", got, err)
	}
}

// TestRequestsPerCall counts, through the es.Meter that the connection's
// SDK pipeline reports to, the requests each call sends to the store: a load
// is the snapshot read and one query, whatever follows the snapshot (here
// 260 events after it, more than two batches' worth); an append is one batch,
// refused or not; a command lookup is one query. Every request has a charge.
func TestRequestsPerCall(t *testing.T) {
	t.Parallel()
	conn := openEmbedded(t)
	reg := storetest.Registry()
	store := eventstore.New(conn, reg)
	metered := func(call func(ctx context.Context) error) (int, float64) {
		t.Helper()
		m := &es.Meter{}
		if err := call(es.WithMeter(context.Background(), m)); err != nil {
			t.Fatal(err)
		}
		return m.Requests(), m.Charge()
	}
	appendN := func(stream string, from, n int) func(context.Context) error {
		return func(ctx context.Context) error {
			payloads := make([]es.Payload, n)
			for i := range payloads {
				payloads[i] = storetest.Happened{N: from + i + 1}
			}
			envs, err := reg.Stamp(stream, int64(from), payloads, es.Causation{CommandID: fmt.Sprint("c", from)}, timeNow(), nil)
			if err != nil {
				return err
			}
			_, err = store.Append(ctx, stream, int64(from), envs)
			return err
		}
	}
	load := func(stream string, want int64) func(context.Context) error {
		return func(ctx context.Context) error {
			got, err := store.Load(ctx, stream)
			if err == nil && got.Version != want {
				err = fmt.Errorf("loaded %s at version %d, want %d", stream, got.Version, want)
			}
			return err
		}
	}
	if n, charge := metered(appendN("s", 0, 40)); n != 1 || charge <= 0 {
		t.Fatalf("append: %d requests, charge %v", n, charge)
	}
	if n, _ := metered(load("s", 40)); n != 2 {
		t.Fatalf("load without a snapshot: %d requests", n)
	}
	if err := store.WriteSnapshot(context.Background(), es.Snapshot{StreamID: "s", AggregateType: "t", SchemaVersion: 1, Version: 40, State: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	for from := 40; from < 300; from += 100 {
		if n, _ := metered(appendN("s", from, min(100, 300-from))); n != 1 {
			t.Fatalf("append at %d: %d requests", from, n)
		}
	}
	if n, charge := metered(load("s", 300)); n != 2 || charge <= 0 {
		t.Fatalf("load with 260 events after the snapshot: %d requests, charge %v", n, charge)
	}
	if n, _ := metered(func(ctx context.Context) error {
		err := appendN("s", 10, 1)(ctx)
		if !errors.Is(err, es.ErrConcurrency) {
			return fmt.Errorf("append at a taken version: %v", err)
		}
		return nil
	}); n != 1 {
		t.Fatalf("refused append: %d requests", n)
	}
	if n, _ := metered(func(ctx context.Context) error {
		rec, err := store.FindCommand(ctx, "s", "c40")
		if err == nil && (rec == nil || rec.Version != 140) {
			err = fmt.Errorf("FindCommand = %+v", rec)
		}
		return err
	}); n != 1 {
		t.Fatalf("command lookup: %d requests", n)
	}
}
