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
	srv := &fasthttp.Server{
		Handler:               s.serveFast,
		Name:                  "orderctx-cosmos",
		MaxRequestBodySize:    maxRequestBytes + 1,
		ReadTimeout:           2 * time.Minute,
		IdleTimeout:           2 * time.Minute,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		Logger:                connLogger{s.log},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		_ = srv.ShutdownWithContext(context.Background())
		return nil
	case err := <-errc:
		return err
	}
}

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
