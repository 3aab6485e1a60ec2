package cosmosemu

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// DefaultAddress is where the official emulator listens.
const DefaultAddress = "127.0.0.1:8081"

// Serve listens on ln until ctx ends. With tlsCert set it speaks HTTPS.
//
// The listener is served by fasthttp: with the SDK's requests a bare net/http
// server costs about 57 µs of CPU per call on the reference machine and a bare
// fasthttp one about 36 µs (docs/benchmarks.md). The same handlers serve
// net/http requests for in-process use (ServeHTTP, Client).
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsCert *tls.Certificate) error {
	if tlsCert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*tlsCert}, MinVersion: tls.VersionTLS12})
	}
	conns := trackConns(ln)
	srv := &fasthttp.Server{
		Handler:               s.serveFast,
		Name:                  "orderctx-cosmos",
		MaxRequestBodySize:    maxRequestBytes + 1,
		Concurrency:           maxConnections,
		ReadTimeout:           2 * time.Minute,
		IdleTimeout:           2 * time.Minute,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		Logger:                connLogger{s.log},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(conns) }()
	select {
	case <-ctx.Done():
		// fasthttp's shutdown closes idle keep-alive connections but counts
		// one that has not sent its first request as active and waits for
		// it; Go's transport may dial such a connection and hold it unused
		// for 90 s. Those are closed first; requests in flight get a grace.
		conns.close(false)
		grace, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.ShutdownWithContext(grace); err != nil {
			conns.close(true)
		}
		return nil
	case err := <-errc:
		return err
	}
}

// shutdownGrace is how long requests in flight get to finish at shutdown.
const shutdownGrace = 5 * time.Second

// connTracker is a listener that knows its open connections and whether
// each has received a byte of a request yet.
type connTracker struct {
	net.Listener
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func trackConns(ln net.Listener) *connTracker {
	return &connTracker{Listener: ln, conns: map[*trackedConn]struct{}{}}
}

func (t *connTracker) Accept() (net.Conn, error) {
	c, err := t.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, tracker: t}
	t.mu.Lock()
	t.conns[tc] = struct{}{}
	t.mu.Unlock()
	if tlsConn, ok := c.(*tls.Conn); ok {
		return &trackedTLSConn{trackedConn: tc, tls: tlsConn}, nil
	}
	return tc, nil
}

// close closes every open connection, or (all false) those that have not
// received a byte yet.
func (t *connTracker) close(all bool) {
	t.mu.Lock()
	open := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		if all || !c.used.Load() {
			open = append(open, c)
		}
	}
	t.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
}

type trackedConn struct {
	net.Conn
	tracker *connTracker
	used    atomic.Bool
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.used.Load() {
		c.used.Store(true)
	}
	return n, err
}

func (c *trackedConn) Close() error {
	c.tracker.mu.Lock()
	delete(c.tracker.conns, c)
	c.tracker.mu.Unlock()
	return c.Conn.Close()
}

// trackedTLSConn keeps what fasthttp needs to see that a connection is TLS
// (its IsTLS decides the scheme of the addresses the account advertises).
type trackedTLSConn struct {
	*trackedConn
	tls *tls.Conn
}

func (c *trackedTLSConn) Handshake() error                     { return c.tls.Handshake() }
func (c *trackedTLSConn) ConnectionState() tls.ConnectionState { return c.tls.ConnectionState() }

// connLogger sends fasthttp's connection-level messages (a client that
// closed without a request, a TLS handshake that failed) to the server's
// logger at debug level: they are the client's business, not the server's.
type connLogger struct{ log *slog.Logger }

func (l connLogger) Printf(format string, args ...any) {
	l.log.Debug("cosmos connection", "msg", fmt.Sprintf(format, args...))
}

// Certificate loads the self-signed certificate kept in dir, creating it on
// first use; with dir empty it makes a throwaway one. It covers localhost and
// the loopback addresses, as the emulator's does.
func Certificate(dir string) (*tls.Certificate, error) {
	if dir != "" {
		certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
			return &cert, nil
		}
		certPEM, keyPEM, err := selfSigned()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		return &cert, err
	}
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	return &cert, err
}

func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"orderctx embedded Cosmos DB"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
