package cosmostest

import (
	"context"
	"crypto/tls"
	"net"
	"testing"

	"orderctx/infra/cosmosemu"
)

// ServeLoopback serves srv on a random loopback port until the test ends
// (HTTPS with cert, plain HTTP without) and returns the address it listens
// on ("127.0.0.1:<port>"). The test fails if serving ends in an error.
func ServeLoopback(t testing.TB, srv *cosmosemu.Server, cert *tls.Certificate) string {
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
	return ln.Addr().String()
}
