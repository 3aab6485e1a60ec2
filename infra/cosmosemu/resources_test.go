package cosmosemu_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
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

func ttlString(ttl *int32) string {
	if ttl == nil {
		return "absent"
	}
	return strconv.Itoa(int(*ttl))
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

// accountDocument is the part of the database account (GET /) that clients
// read when they start.
type accountDocument struct {
	WritableLocations     []accountLocation `json:"writableLocations"`
	ReadableLocations     []accountLocation `json:"readableLocations"`
	UserConsistencyPolicy struct {
		DefaultConsistencyLevel string `json:"defaultConsistencyLevel"`
	} `json:"userConsistencyPolicy"`
	// Cosmos DB sends the query engine configuration as a JSON document in a string.
	QueryEngineConfiguration *string `json:"queryEngineConfiguration"`
}

type accountLocation struct {
	Name     string `json:"name"`
	Endpoint string `json:"databaseAccountEndpoint"`
}

// serveOnLoopback serves srv on a real 127.0.0.1 socket (HTTPS with cert)
// until the test ends and returns the port.
func serveOnLoopback(t *testing.T, srv *cosmosemu.Server, cert *tls.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, cert) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// readAccount sends the signed GET / a client starts with to url; host, if
// set, is sent as the Host header instead of the one in url.
func readAccount(t *testing.T, hc *http.Client, url, host string) accountDocument {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("x-ms-date", date)
	req.Header.Set("x-ms-version", "2020-07-15")
	req.Header.Set("Authorization", sign(cosmosemu.EmulatorKey, http.MethodGet, "", date))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", url, resp.StatusCode, body)
	}
	var doc accountDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("account document %s: %v", body, err)
	}
	return doc
}

func checkLocations(t *testing.T, doc accountDocument, wantEndpoint string) {
	t.Helper()
	for _, locs := range []struct {
		name string
		got  []accountLocation
	}{{"writableLocations", doc.WritableLocations}, {"readableLocations", doc.ReadableLocations}} {
		if len(locs.got) != 1 || locs.got[0].Name == "" || locs.got[0].Endpoint != wantEndpoint {
			t.Errorf("%s %+v, want one named location at %s", locs.name, locs.got, wantEndpoint)
		}
	}
	if len(doc.WritableLocations) == 1 && len(doc.ReadableLocations) == 1 && doc.WritableLocations[0].Name != doc.ReadableLocations[0].Name {
		t.Errorf("write region %q and read region %q differ", doc.WritableLocations[0].Name, doc.ReadableLocations[0].Name)
	}
}

// TestAccountDocument reads the database account over real sockets: its
// locations must point back at the address the client used (the SDK sends
// every later request there), and it must carry the configured consistency
// level and the query engine configuration. azcosmos keeps what it reads
// unexported, so the document is read with a signed raw request.
func TestAccountDocument(t *testing.T) {
	t.Parallel()
	srv, err := cosmosemu.New(cosmosemu.Config{Consistency: "BoundedStaleness"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	port := serveOnLoopback(t, srv, nil)
	endpoint := "http://127.0.0.1:" + port + "/"

	doc := readAccount(t, hc, endpoint, "")
	checkLocations(t, doc, endpoint)
	if got := doc.UserConsistencyPolicy.DefaultConsistencyLevel; got != "BoundedStaleness" {
		t.Errorf("default consistency level %q, want the configured BoundedStaleness", got)
	}
	if doc.QueryEngineConfiguration == nil {
		t.Fatal("queryEngineConfiguration missing")
	}
	var qec map[string]any
	if err := json.Unmarshal([]byte(*doc.QueryEngineConfiguration), &qec); err != nil {
		t.Fatalf("queryEngineConfiguration is not a JSON document: %q: %v", *doc.QueryEngineConfiguration, err)
	}
	// The query text limit the SDKs are told is the one the server enforces.
	if got := qec["maxSqlQueryInputLength"]; got != float64(256*1024) {
		t.Errorf("queryEngineConfiguration maxSqlQueryInputLength %v, want 262144", got)
	}
	for _, k := range []string{"maxJoinsPerSqlQuery", "maxInExpressionItemsCount", "queryTimeoutInSeconds", "maxDocumentsOnSingleQuery"} {
		if n, ok := qec[k].(float64); !ok || n <= 0 {
			t.Errorf("queryEngineConfiguration %s = %v, want a positive number", k, qec[k])
		}
	}

	// A client that names the server localhost is sent to the loopback
	// address, as the official emulator does (its certificate covers both).
	viaName := readAccount(t, hc, endpoint, "localhost:"+port)
	checkLocations(t, viaName, endpoint)

	// The SDK follows the writable location: a write through a client bound
	// to the socket only succeeds if that location is this server.
	cred, _ := azcosmos.NewKeyCredential(cosmosemu.EmulatorKey)
	client, err := azcosmos.NewClientWithKey(endpoint, cred, &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: hc}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateDatabase(context.Background(), azcosmos.DatabaseProperties{ID: "acct"}, nil); err != nil {
		t.Fatalf("create database through the advertised location: %v", err)
	}

	// Over TLS the locations say https.
	cert, err := cosmosemu.Certificate("")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	tlsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(tlsClient.CloseIdleConnections)
	tlsPort := serveOnLoopback(t, srv, cert)
	tlsEndpoint := "https://127.0.0.1:" + tlsPort + "/"
	checkLocations(t, readAccount(t, tlsClient, tlsEndpoint, ""), tlsEndpoint)
}
