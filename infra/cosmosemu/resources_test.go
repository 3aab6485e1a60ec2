package cosmosemu_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

func TestDatabasesAndContainers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	manual := azcosmos.NewManualThroughputProperties(400)
	if _, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "shop"}, &azcosmos.CreateDatabaseOptions{ThroughputProperties: &manual}); err != nil {
		t.Fatalf("create database: %v", err)
	}
	if _, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "shop"}, nil); statusOf(err) != http.StatusConflict {
		t.Fatalf("duplicate database: want 409, got %v", err)
	}
	db, _ := client.NewDatabase("shop")
	if resp, err := db.Read(ctx, nil); err != nil || resp.DatabaseProperties.ID != "shop" {
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
		IndexingPolicy:         &azcosmos.IndexingPolicy{Automatic: true, IndexingMode: azcosmos.IndexingModeConsistent, IncludedPaths: []azcosmos.IncludedPath{{Path: "/*"}}}}
	if _, err := db.CreateContainer(ctx, props, &azcosmos.CreateContainerOptions{ThroughputProperties: &auto}); err != nil {
		t.Fatalf("create container: %v", err)
	}
	c, _ := db.NewContainer("orders")
	got, err := c.Read(ctx, nil)
	if err != nil {
		t.Fatalf("read container: %v", err)
	}
	p := got.ContainerProperties
	if p.PartitionKeyDefinition.Paths[0] != "/orderId" || p.DefaultTimeToLive == nil || *p.DefaultTimeToLive != 3600 || p.IndexingPolicy == nil {
		t.Fatalf("container properties not kept: %+v", p)
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

	newTTL := int32(60)
	p.DefaultTimeToLive = &newTTL
	if _, err := c.Replace(ctx, *p, nil); err != nil {
		t.Fatalf("replace container: %v", err)
	}
	got, _ = c.Read(ctx, nil)
	if *got.ContainerProperties.DefaultTimeToLive != 60 {
		t.Fatalf("replaced ttl not kept")
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
	if _, err := c.Read(ctx, nil); statusOf(err) != 404 {
		t.Fatalf("deleted container: want 404, got %v", err)
	}
	if _, err := db.Delete(ctx, nil); err != nil {
		t.Fatalf("delete database: %v", err)
	}
	if _, err := db.Read(ctx, nil); statusOf(err) != 404 {
		t.Fatalf("deleted database: want 404, got %v", err)
	}
}

func TestTimeToLive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	if _, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil); err != nil {
		t.Fatal(err)
	}
	db, _ := client.NewDatabase("db")
	on := int32(-1)
	if _, err := db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "ttl", DefaultTimeToLive: &on,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil); err != nil {
		t.Fatal(err)
	}
	c, _ := db.NewContainer("ttl")
	pk := azcosmos.NewPartitionKeyString("p")
	if _, err := c.CreateItem(ctx, pk, item("short", "p", map[string]any{"ttl": 1}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateItem(ctx, pk, item("forever", "p", nil), nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.ReadItem(ctx, pk, "short", nil)
		if statusOf(err) == 404 {
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

func TestAuthorization(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, cosmosemu.Config{})
	wrong := newClient(t, srv.Client(), "dGhpcyBpcyBub3QgdGhlIGtleQ==")
	_, err := wrong.CreateDatabase(context.Background(), azcosmos.DatabaseProperties{ID: "x"}, nil)
	if statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("wrong key: want 401, got %v", err)
	}
	if status := rawResp(t, srv, "GET", "dbs", map[string]string{"Authorization": ""}, nil).StatusCode; status != 401 {
		t.Fatalf("no authorization header: want 401, got %d", status)
	}
	if status := rawDo(t, srv, "GET", "dbs", nil, nil); status != 200 {
		t.Fatalf("signed request: want 200, got %d", status)
	}
}

func TestTurningTTLOnExpiresExistingItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, client := newServer(t, cosmosemu.Config{})
	c := newContainer(t, client, "ttl-later")
	pk := azcosmos.NewPartitionKeyString("p")
	if _, err := c.CreateItem(ctx, pk, item("old", "p", map[string]any{"ttl": 1}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateItem(ctx, pk, item("keep", "p", nil), nil); err != nil {
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
		if statusOf(err) == 404 {
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
