package cosmostest

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

func testDatabasesAndContainers(t *testing.T, s *suite) {
	ctx := context.Background()
	manual := azcosmos.NewManualThroughputProperties(400)
	db := s.database(t, &azcosmos.CreateDatabaseOptions{ThroughputProperties: &manual})
	if _, err := s.client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: db.ID()}, nil); StatusOf(err) != http.StatusConflict {
		t.Fatalf("duplicate database: want 409, got %v", err)
	}
	if resp, err := db.Read(ctx, nil); err != nil || resp.DatabaseProperties.ID != db.ID() {
		t.Fatalf("read database: %v", err)
	}
	tp, err := db.ReadThroughput(ctx, nil)
	if err != nil {
		t.Fatalf("database throughput: %v", err)
	}
	if n, ok := tp.ThroughputProperties.ManualThroughput(); !ok || n != 400 {
		t.Fatalf("database throughput %v %v", n, ok)
	}

	ttl := int32(3600)
	auto := azcosmos.NewAutoscaleThroughputProperties(4000)
	props := azcosmos.ContainerProperties{ID: "orders", DefaultTimeToLive: &ttl,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/orderId"}, Version: 2},
		IndexingPolicy: &azcosmos.IndexingPolicy{Automatic: true, IndexingMode: azcosmos.IndexingModeConsistent,
			IncludedPaths: []azcosmos.IncludedPath{{Path: "/*"}},
			ExcludedPaths: []azcosmos.ExcludedPath{{Path: "/blob/*"}, {Path: `/"_etag"/?`}},
			CompositeIndexes: [][]azcosmos.CompositeIndex{{
				{Path: "/customerId", Order: azcosmos.CompositeIndexAscending},
				{Path: "/placedAt", Order: azcosmos.CompositeIndexDescending}}},
			SpatialIndexes: []azcosmos.SpatialIndex{{Path: "/where/*", SpatialTypes: []azcosmos.SpatialType{azcosmos.SpatialTypePoint}}}}}
	if _, err := db.CreateContainer(ctx, props, &azcosmos.CreateContainerOptions{ThroughputProperties: &auto}); err != nil {
		t.Fatalf("create container: %v", err)
	}
	c, _ := db.NewContainer("orders")
	got, err := c.Read(ctx, nil)
	if err != nil {
		t.Fatalf("read container: %v", err)
	}
	p := got.ContainerProperties
	wantPK := azcosmos.PartitionKeyDefinition{Kind: azcosmos.PartitionKeyKindHash, Paths: []string{"/orderId"}, Version: 2}
	if !reflect.DeepEqual(p.PartitionKeyDefinition, wantPK) {
		t.Errorf("partition key definition %+v, want %+v", p.PartitionKeyDefinition, wantPK)
	}
	if p.IndexingPolicy == nil || !reflect.DeepEqual(*p.IndexingPolicy, *props.IndexingPolicy) {
		t.Errorf("indexing policy %+v, want what was sent: %+v", p.IndexingPolicy, props.IndexingPolicy)
	}
	if p.DefaultTimeToLive == nil || *p.DefaultTimeToLive != 3600 {
		t.Errorf("default ttl %s, want 3600", ttlString(p.DefaultTimeToLive))
	}
	if p.ID != "orders" || p.ETag == nil || *p.ETag == "" || p.SelfLink == "" || p.ResourceID == "" {
		t.Errorf("system properties missing: id %q etag %v self %q rid %q", p.ID, p.ETag, p.SelfLink, p.ResourceID)
	}
	ctp, err := c.ReadThroughput(ctx, nil)
	if err != nil {
		t.Fatalf("container throughput: %v", err)
	}
	if max, ok := ctp.ThroughputProperties.AutoscaleMaxThroughput(); !ok || max != 4000 {
		t.Fatalf("autoscale max %v %v", max, ok)
	}
	newAuto := azcosmos.NewAutoscaleThroughputProperties(10000)
	if _, err := c.ReplaceThroughput(ctx, newAuto, nil); err != nil {
		t.Fatalf("replace throughput: %v", err)
	}
	ctp, _ = c.ReadThroughput(ctx, nil)
	if max, _ := ctp.ThroughputProperties.AutoscaleMaxThroughput(); max != 10000 {
		t.Fatalf("replaced autoscale max %v", max)
	}

	// Manual throughput on a container, replaced through the SDK and read back.
	manualTP := azcosmos.NewManualThroughputProperties(400)
	if _, err := db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "manual",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, &azcosmos.CreateContainerOptions{ThroughputProperties: &manualTP}); err != nil {
		t.Fatalf("create container with manual throughput: %v", err)
	}
	mc, _ := db.NewContainer("manual")
	replacedTP, err := mc.ReplaceThroughput(ctx, azcosmos.NewManualThroughputProperties(1200), nil)
	if err != nil {
		t.Fatalf("replace manual throughput: %v", err)
	}
	if n, ok := replacedTP.ThroughputProperties.ManualThroughput(); !ok || n != 1200 {
		t.Errorf("replace answered manual throughput %v %v, want 1200", n, ok)
	}
	mtp, err := mc.ReadThroughput(ctx, nil)
	if err != nil {
		t.Fatalf("read manual throughput: %v", err)
	}
	if n, ok := mtp.ThroughputProperties.ManualThroughput(); !ok || n != 1200 {
		t.Errorf("manual throughput read back %v %v, want 1200", n, ok)
	}
	if max, ok := mtp.ThroughputProperties.AutoscaleMaxThroughput(); ok {
		t.Errorf("manual throughput reads back as autoscale (max %v)", max)
	}
	// The replace changed that container's offer only.
	ctp, _ = c.ReadThroughput(ctx, nil)
	if max, ok := ctp.ThroughputProperties.AutoscaleMaxThroughput(); !ok || max != 10000 {
		t.Errorf("other container's autoscale max %v %v after replacing \"manual\"", max, ok)
	}
	if _, err := mc.Delete(ctx, nil); err != nil {
		t.Fatalf("delete container: %v", err)
	}

	newTTL := int32(60)
	p.DefaultTimeToLive = &newTTL
	if _, err := c.Replace(ctx, *p, nil); err != nil {
		t.Fatalf("replace container: %v", err)
	}
	got, err = c.Read(ctx, nil)
	if err != nil {
		t.Fatalf("read replaced container: %v", err)
	}
	if ttl := got.ContainerProperties.DefaultTimeToLive; ttl == nil || *ttl != 60 {
		t.Fatalf("replaced ttl not kept: %s, want 60", ttlString(ttl))
	}
	if !reflect.DeepEqual(got.ContainerProperties.PartitionKeyDefinition, wantPK) || !reflect.DeepEqual(got.ContainerProperties.IndexingPolicy, props.IndexingPolicy) {
		t.Fatalf("replace changed the partition key or indexing policy: %+v %+v", got.ContainerProperties.PartitionKeyDefinition, got.ContainerProperties.IndexingPolicy)
	}

	pager := db.NewQueryContainersPager("SELECT * FROM c", nil)
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list containers: %v", err)
		}
		n += len(page.Containers)
	}
	if n != 1 {
		t.Fatalf("listed %d containers", n)
	}
	if _, err := c.Delete(ctx, nil); err != nil {
		t.Fatalf("delete container: %v", err)
	}
	if _, err := c.Read(ctx, nil); StatusOf(err) != 404 {
		t.Fatalf("deleted container: want 404, got %v", err)
	}
	if _, err := db.Delete(ctx, nil); err != nil {
		t.Fatalf("delete database: %v", err)
	}
	if _, err := db.Read(ctx, nil); StatusOf(err) != 404 {
		t.Fatalf("deleted database: want 404, got %v", err)
	}
}

func ttlString(ttl *int32) string {
	if ttl == nil {
		return "absent"
	}
	return strconv.Itoa(int(*ttl))
}

func testTimeToLive(t *testing.T, s *suite) {
	ctx := context.Background()
	on := int32(-1)
	c := s.containerWith(t, azcosmos.ContainerProperties{ID: "ttl", DefaultTimeToLive: &on,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}})
	pk := azcosmos.NewPartitionKeyString("p")
	if _, err := c.CreateItem(ctx, pk, Item("short", "p", map[string]any{"ttl": 1}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateItem(ctx, pk, Item("forever", "p", nil), nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.ReadItem(ctx, pk, "short", nil)
		if StatusOf(err) == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("item with ttl 1 s still readable after 10 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // polling an external clock: TTL is measured in wall seconds
	}
	if _, err := c.ReadItem(ctx, pk, "forever", nil); err != nil {
		t.Fatalf("item without ttl expired: %v", err)
	}
}

func testTurningTTLOnExpiresExistingItems(t *testing.T, s *suite) {
	ctx := context.Background()
	c := s.container(t, "ttl-later")
	pk := azcosmos.NewPartitionKeyString("p")
	if _, err := c.CreateItem(ctx, pk, Item("old", "p", map[string]any{"ttl": 1}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateItem(ctx, pk, Item("keep", "p", nil), nil); err != nil {
		t.Fatal(err)
	}
	props, err := c.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	on := int32(-1) // on, no default: only items with their own ttl expire
	p := *props.ContainerProperties
	p.DefaultTimeToLive = &on
	if _, err := c.Replace(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.ReadItem(ctx, pk, "old", nil)
		if StatusOf(err) == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("item with ttl 1 s still readable 10 s after TTL was turned on: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // TTL is measured in wall seconds
	}
	if _, err := c.ReadItem(ctx, pk, "keep", nil); err != nil {
		t.Fatalf("item without ttl expired: %v", err)
	}
}
