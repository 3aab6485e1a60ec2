package cosmosemu_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

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
	_, port, _ := net.SplitHostPort(cosmostest.ServeLoopback(t, srv, cert))
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
