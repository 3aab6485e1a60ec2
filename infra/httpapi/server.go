package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server runs an API's handler on a listener until its context ends. Its
// timeouts bound slow clients: 5 s to send the headers, 30 s for the whole
// request, 2 min for an idle kept-alive connection.
type Server struct {
	// Name names the API in logs and errors, such as "command API".
	Name    string
	Handler http.Handler
	Log     *slog.Logger
	// NewID returns the request id of a refusal net/http writes itself.
	NewID func() string
	// WriteTimeout bounds writing a response; 0 means none, for an API with
	// long-lived streams that sets a deadline per write instead.
	WriteTimeout time.Duration
	// MaxHeaderBytes bounds a request's header section (http.Server's).
	MaxHeaderBytes int
	// ShutdownTimeout is how long Serve waits for requests in flight.
	ShutdownTimeout time.Duration
	// BeforeShutdown, when set, runs as soon as the context ends, before
	// the server stops accepting connections.
	BeforeShutdown func()
}

// Run listens on addr and serves until ctx is done (see Serve).
func (s Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, then stops accepting connections and
// waits up to ShutdownTimeout for requests in flight. It returns nil after a
// shutdown that ctx asked for. Requests the HTTP server refuses before any
// handler runs are answered with problems too (see refusalListener).
func (s Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Handler == nil || s.Log == nil || s.NewID == nil {
		return fmt.Errorf("%s: the server needs a handler, a logger and request ids", s.Name)
	}
	srv := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    s.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.Log.Info(s.Name+" listening", "addr", "http://"+ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(refusalListener{Listener: ln, s: &s}) }()
	select {
	case err := <-served:
		return fmt.Errorf("%s: %w", s.Name, err)
	case <-ctx.Done():
	}
	if s.BeforeShutdown != nil {
		s.BeforeShutdown()
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("%s shutdown: %w", s.Name, err)
	}
	s.Log.Info(s.Name + " stopped")
	return nil
}
