package cosmosemu_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// servers numbers the test servers: azcosmos caches routing per endpoint
// process-wide, so each server gets an endpoint of its own.
var servers atomic.Int64

// newServer starts an in-memory server and returns it with an SDK client bound to it.
func newServer(t *testing.T, cfg cosmosemu.Config) (*cosmosemu.Server, *azcosmos.Client) {
	t.Helper()
	srv, err := cosmosemu.New(cfg)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, newClient(t, srv.Client(), cosmosemu.EmulatorKey)
}

func newClient(t *testing.T, httpClient *http.Client, key string) *azcosmos.Client {
	t.Helper()
	cred, err := azcosmos.NewKeyCredential(key)
	if err != nil {
		t.Fatalf("credential: %v", err)
	}
	// The in-process transport never dials this address.
	endpoint := fmt.Sprintf("http://cosmos-%d.test/", servers.Add(1))
	client, err := azcosmos.NewClientWithKey(endpoint, cred, &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: httpClient,
		Retry:     policy.RetryOptions{MaxRetries: 3},
	}})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return client
}

// newContainer creates database "db" and a container partitioned on /pk.
func newContainer(t *testing.T, client *azcosmos.Client, id string) *azcosmos.ContainerClient {
	t.Helper()
	ctx := context.Background()
	if _, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil); err != nil && cosmostest.StatusOf(err) != 409 {
		t.Fatalf("create database: %v", err)
	}
	db, _ := client.NewDatabase("db")
	if _, err := db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: id,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	c, _ := db.NewContainer(id)
	return c
}
