package cosmosemu_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

// TestHTTPSWithKeptCertificate serves HTTPS with the self-signed certificate
// kept in the data directory, and an SDK client that trusts exactly that
// certificate connects by name (localhost), as emulator tools do.
func TestHTTPSWithKeptCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, err := cosmosemu.Certificate(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := cosmosemu.Certificate(dir)
	if err != nil || string(again.Certificate[0]) != string(cert.Certificate[0]) {
		t.Fatalf("the certificate was not kept: %v", err)
	}
	srv, err := cosmosemu.New(cosmosemu.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	port := serveOnLoopback(t, srv, cert)

	pemBytes, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	parsed, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	cred, _ := azcosmos.NewKeyCredential(cosmosemu.EmulatorKey)
	client, err := azcosmos.NewClientWithKey("https://localhost:"+port+"/", cred, &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: httpClient}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateDatabase(context.Background(), azcosmos.DatabaseProperties{ID: "tls"}, nil); err != nil {
		t.Fatalf("create database over HTTPS: %v", err)
	}
}
