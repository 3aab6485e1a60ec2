package functions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"orderctx/functions/funcapp"
	"orderctx/functions/protocol"
)

// MainOptions configure the `orderctx functions` process.
type MainOptions struct {
	Options
	// Getenv reads FUNCTIONS_CUSTOMHANDLER_PORT (default os.Getenv).
	Getenv func(string) string
	// ShutdownGrace is how long Run lets running invocations finish after
	// its context ends (default 10 s); the host retries what is cut off.
	ShutdownGrace time.Duration
}

// Main is the `orderctx functions` subcommand: the custom handler process
// the Functions host starts. It listens on 127.0.0.1 at the port the host
// gives in FUNCTIONS_CUSTOMHANDLER_PORT; once it listens it is ready.
type Main struct {
	ln    net.Listener
	srv   *http.Server
	grace time.Duration
	log   *slog.Logger
}

// NewMain checks the port, the app and its consumers, and listens. Port
// "0" picks a free port (for tests; the host always names one).
func NewMain(app *funcapp.App, consumers map[string]Consumer, opts MainOptions) (*Main, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	port, err := portFrom(getenv)
	if err != nil {
		return nil, err
	}
	h, err := NewHandler(app, consumers, opts.Options)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, fmt.Errorf("custom handler: %w", err)
	}
	m := &Main{ln: ln, grace: opts.ShutdownGrace, log: h.log,
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}}
	if m.grace <= 0 {
		m.grace = 10 * time.Second
	}
	return m, nil
}

// portFrom reads and checks FUNCTIONS_CUSTOMHANDLER_PORT.
func portFrom(getenv func(string) string) (string, error) {
	v := getenv(protocol.EnvPort)
	if v == "" {
		return "", fmt.Errorf("%s is not set: `orderctx functions` is the custom handler the Azure Functions host starts "+
			"(func start, or orderctx funchost); to run it by hand set %s to a free port", protocol.EnvPort, protocol.EnvPort)
	}
	if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%s=%q is not a TCP port (0-65535)", protocol.EnvPort, v)
	}
	return v, nil
}

// Addr is the address the handler listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Run serves until ctx ends, then lets running invocations finish for the
// grace period.
func (m *Main) Run(ctx context.Context) error {
	m.log.Info("custom handler listening", "addr", m.Addr())
	served := make(chan error, 1)
	go func() { served <- m.srv.Serve(m.ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.Background(), m.grace)
	defer cancel()
	err := m.srv.Shutdown(stop)
	if errors.Is(err, context.DeadlineExceeded) {
		m.log.Warn("invocations still running at shutdown were cut off; the host retries them")
		err = m.srv.Close()
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// Close stops listening and ends every connection at once.
func (m *Main) Close() error {
	err := m.srv.Close()
	if cerr := m.ln.Close(); err == nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}
