package cosmosemu_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"orderctx/infra/cosmosemu"
)

// A client may dial a connection and never use it (Go's transport does when
// another connection frees up first). Stopping the server must close it
// instead of waiting for the client to give up.
func TestServeStopsWithUnusedAndIdleConnectionsOpen(t *testing.T) {
	t.Parallel()
	t.Run("http", func(t *testing.T) { t.Parallel(); serveAndStopWithOpenConnections(t, nil) })
	t.Run("https", func(t *testing.T) {
		t.Parallel()
		cert, err := cosmosemu.Certificate("")
		if err != nil {
			t.Fatal(err)
		}
		serveAndStopWithOpenConnections(t, cert)
	})
}

func serveAndStopWithOpenConnections(t *testing.T, cert *tls.Certificate) {
	srv, err := cosmosemu.New(cosmosemu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, cert) }()

	scheme := "http"
	var unused net.Conn
	clientTLS := &tls.Config{InsecureSkipVerify: true} // a throwaway certificate
	if cert != nil {
		scheme = "https"
		unused, err = tls.Dial("tcp", ln.Addr().String(), clientTLS) // handshake done, no request
	} else {
		unused, err = net.Dial("tcp", ln.Addr().String())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer unused.Close()
	idle := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS}}
	resp, err := idle.Get(scheme + "://" + ln.Addr().String() + "/") // unsigned: 401, connection kept alive
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(3 * time.Second): // far below the 5 s grace and the client's 90 s
		t.Fatal("Serve did not return while a connection that never sent a request was open")
	}
	_ = unused.SetReadDeadline(time.Now().Add(3 * time.Second))
	if n, err := unused.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the unused connection was not closed by the server: read %d bytes, %v", n, err)
	}
}
