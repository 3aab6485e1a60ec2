package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startTimeout bounds the embedded server's start, JetStream recovery of a
// large store included.
const startTimeout = 60 * time.Second

// Server is an embedded NATS server with JetStream.
type Server struct {
	ns      *server.Server
	tempDir string // removed on Shutdown (Memory)
}

// StartServer starts the embedded server of c (c.URL is ignored) and waits
// until it accepts clients.
func StartServer(c Config) (*Server, error) {
	return startServer(c, true)
}

// startServer starts the embedded server; without listen it takes only
// in-process connections (nats.InProcessServer) and opens no socket.
func startServer(c Config, listen bool) (*Server, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &Server{}
	dir := c.DataDir
	if c.Memory {
		// JetStream needs a directory for its metadata even when every
		// stream lives in memory.
		tmp, err := os.MkdirTemp("", "orderctx-nats-")
		if err != nil {
			return nil, fmt.Errorf("natsbus: %w", err)
		}
		s.tempDir, dir = tmp, tmp
	}
	opts := serverOptions(c, dir)
	opts.DontListen = !listen
	ns, err := server.NewServer(opts)
	if err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("natsbus: embedded server: %w", err)
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	fatal := make(chan string, 1)
	ns.SetLoggerV2(slogAdapter{l: logger.With("component", "nats"), fatal: fatal}, false, false, false)
	s.ns = ns
	go ns.Start()
	if err := waitReady(ns, fatal); err != nil {
		s.Shutdown()
		return nil, fmt.Errorf("natsbus: embedded server on %s: %w", c.Listen, err)
	}
	return s, nil
}

func serverOptions(c Config, storeDir string) *server.Options {
	host, _, _ := net.SplitHostPort(c.Listen)
	port, _ := listenPort(c.Listen) // checked by Validate
	return &server.Options{
		ServerName: "orderctx",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		SyncAlways: c.SyncAlways,
		NoSigs:     true,
		MaxPayload: 1 << 20,
	}
}

// waitReady waits until the server accepts clients. The server reports a
// failed start (a port in use) as a fatal log line and stops; the logger
// adapter passes that line on, so the failure shows at once.
func waitReady(ns *server.Server, fatal <-chan string) error {
	ready := make(chan bool, 1)
	go func() { ready <- ns.ReadyForConnections(startTimeout) }()
	select {
	case ok := <-ready:
		if !ok {
			return fmt.Errorf("not ready within %v", startTimeout)
		}
		return nil
	case msg := <-fatal:
		return errors.New(msg)
	}
}

// ClientURL is the URL clients (the nats CLI, other processes) connect to.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ns.Addr() }

// Shutdown stops the server and waits until it has stopped, so a new server
// can open the same data directory.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	s.removeTemp()
}

func (s *Server) removeTemp() {
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}

// slogAdapter passes the server's log to slog (debug and trace are off) and
// its first fatal message to fatal.
type slogAdapter struct {
	l     *slog.Logger
	fatal chan<- string
}

func (a slogAdapter) Noticef(format string, v ...any) { a.l.Info(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.l.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Errorf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }

func (a slogAdapter) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	a.l.Error(msg)
	select {
	case a.fatal <- msg:
	default:
	}
}

func (a slogAdapter) Debugf(format string, v ...any) {
	a.l.Log(context.Background(), slog.LevelDebug, fmt.Sprintf(format, v...))
}

func (a slogAdapter) Tracef(format string, v ...any) {
	a.l.Log(context.Background(), slog.LevelDebug-4, fmt.Sprintf(format, v...))
}
