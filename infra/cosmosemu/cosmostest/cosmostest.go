// Package cosmostest is the conformance suite of the embedded Cosmos
// DB-compatible server: the behaviour of Cosmos DB that this project relies
// on and the server claims to reproduce (items and their preconditions,
// atomic batches with their 424s, the change feed with its continuations and
// 304s, partition key ranges, queries and the gateway's refusals, databases,
// containers, offers, time to live), checked through the official Go SDK.
//
// Run takes any *azcosmos.Client, so the same suite runs against the
// embedded server in process (always, in the cosmosemu tests) and against
// the Cosmos DB Emulator or an account when COSMOS_ENDPOINT names one: anyone
// with either can check the claims (docs/cosmos-server.md). What needs the
// server's own controls (splits, fault injection, durability, its limits on
// hostile input) stays in the cosmosemu tests.
package cosmostest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// Options adapt the suite to the endpoint it runs against.
type Options struct {
	// DatabasePrefix starts the id of every database the suite creates
	// (default "cosmostest"), followed by a random id of the run and the
	// test's name, so runs never clash with each other or with other data in
	// the account. Each test deletes its database when it ends.
	DatabasePrefix string
	// Partitioned creates the containers of the tests that need several
	// physical partition key ranges (feed ranges, cross-partition queries and
	// refusals). Nil skips those tests.
	Partitioned Partitioned
}

// Partitioned creates a container with several physical partition key ranges.
type Partitioned func(ctx context.Context, db *azcosmos.DatabaseClient, props azcosmos.ContainerProperties) error

// EmbeddedPartitions creates containers with n physical partitions on the
// embedded server, through its own x-ms-emulator-partitions header.
func EmbeddedPartitions(n int) Partitioned {
	return func(ctx context.Context, db *azcosmos.DatabaseClient, props azcosmos.ContainerProperties) error {
		ctx = policy.WithHTTPHeader(ctx, http.Header{"x-ms-emulator-partitions": {strconv.Itoa(n)}})
		_, err := db.CreateContainer(ctx, props, nil)
		return err
	}
}

// Throughput creates containers with ru RU/s of manual throughput: Cosmos DB
// and the emulator give a container one physical partition per 10,000 RU/s,
// so 40000 gives four. An account bills that throughput while the test runs.
func Throughput(ru int32) Partitioned {
	return func(ctx context.Context, db *azcosmos.DatabaseClient, props azcosmos.ContainerProperties) error {
		tp := azcosmos.NewManualThroughputProperties(ru)
		_, err := db.CreateContainer(ctx, props, &azcosmos.CreateContainerOptions{ThroughputProperties: &tp})
		return err
	}
}

// Run runs the suite against client, each test in a database of its own and
// in parallel with the others.
func Run(t *testing.T, client *azcosmos.Client, opts Options) {
	if opts.DatabasePrefix == "" {
		opts.DatabasePrefix = "cosmostest"
	}
	var run [4]byte
	_, _ = rand.Read(run[:])
	s := &suite{client: client, opts: opts, run: hex.EncodeToString(run[:])}
	tests := []struct {
		name string
		test func(*testing.T, *suite)
	}{
		{"ItemLifecycle", testItemLifecycle},
		{"ItemValidation", testItemValidation},
		{"Patch", testPatch},
		{"IfNoneMatchRead", testIfNoneMatchRead},
		{"IDsTheGatewayCannotAddress", testIDsTheGatewayCannotAddress},
		{"BatchCommitsAllOperations", testBatchCommitsAllOperations},
		{"ConflictingBatchLeavesNothingBehind", testConflictingBatchLeavesNothingBehind},
		{"BatchLimits", testBatchLimits},
		{"ChangeFeedContinuation", testChangeFeedContinuation},
		{"ChangeFeedStartFromTime", testChangeFeedStartFromTime},
		{"ChangeFeedFromNow", testChangeFeedFromNow},
		{"ChangeFeedKeepsBatchOperationOrder", testChangeFeedKeepsBatchOperationOrder},
		{"ChangeFeedMaxItemCount", testChangeFeedMaxItemCount},
		{"FeedRangesMatchSDKRouting", testFeedRangesMatchSDKRouting},
		{"QueriesWithinPartition", testQueriesWithinPartition},
		{"QueryLanguageWithinPartition", testQueryLanguageWithinPartition},
		{"QueryGroupByWithinPartition", testQueryGroupByWithinPartition},
		{"PagingSeesItemsAddedMeanwhile", testPagingSeesItemsAddedMeanwhile},
		{"CrossPartitionQueries", testCrossPartitionQueries},
		{"CrossPartitionQueryRefusals", testCrossPartitionQueryRefusals},
		{"DatabasesAndContainers", testDatabasesAndContainers},
		{"TimeToLive", testTimeToLive},
		{"TurningTTLOnExpiresExistingItems", testTurningTTLOnExpiresExistingItems},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, s)
		})
	}
}

// suite is what every test of a run shares.
type suite struct {
	client *azcosmos.Client
	opts   Options
	run    string
}

// database creates a database of the test's own, deleted when the test ends.
func (s *suite) database(t *testing.T, opts *azcosmos.CreateDatabaseOptions) *azcosmos.DatabaseClient {
	t.Helper()
	name := t.Name()[strings.LastIndexByte(t.Name(), '/')+1:]
	id := s.opts.DatabasePrefix + "-" + s.run + "-" + name
	ctx := context.Background()
	if _, err := s.client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: id}, opts); err != nil {
		t.Fatalf("create database %s: %v", id, err)
	}
	db, err := s.client.NewDatabase(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A test may have deleted it itself.
		if _, err := db.Delete(context.Background(), nil); err != nil && StatusOf(err) != http.StatusNotFound {
			t.Logf("delete database %s: %v", id, err)
		}
	})
	return db
}

// container creates a container partitioned on /pk in a database of the
// test's own.
func (s *suite) container(t *testing.T, id string) *azcosmos.ContainerClient {
	t.Helper()
	return s.containerWith(t, azcosmos.ContainerProperties{ID: id,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}})
}

func (s *suite) containerWith(t *testing.T, props azcosmos.ContainerProperties) *azcosmos.ContainerClient {
	t.Helper()
	db := s.database(t, nil)
	if _, err := db.CreateContainer(context.Background(), props, nil); err != nil {
		t.Fatalf("create container %s: %v", props.ID, err)
	}
	c, err := db.NewContainer(props.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// partitioned creates a container partitioned on /pk with several physical
// partition key ranges (Options.Partitioned), or skips the test.
func (s *suite) partitioned(t *testing.T, id string) (*azcosmos.ContainerClient, []azcosmos.FeedRange) {
	t.Helper()
	if s.opts.Partitioned == nil {
		t.Skip("needs several partition key ranges: set Options.Partitioned")
	}
	ctx := context.Background()
	db := s.database(t, nil)
	props := azcosmos.ContainerProperties{ID: id, PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}
	if err := s.opts.Partitioned(ctx, db, props); err != nil {
		t.Fatalf("create partitioned container %s: %v", id, err)
	}
	c, err := db.NewContainer(id)
	if err != nil {
		t.Fatal(err)
	}
	ranges, err := c.ReadFeedRanges(ctx, nil)
	if err != nil {
		t.Fatalf("feed ranges: %v", err)
	}
	if len(ranges) < 2 {
		t.Fatalf("Options.Partitioned created a container with %d partition key range(s), want several", len(ranges))
	}
	return c, ranges
}
