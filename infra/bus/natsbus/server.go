package natsbus

import (
	"context"
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

// StartServer starts the embedded server of c (c.URL is ignored).
func StartServer(c Config) (*Server, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(c.Listen)
	port, _ := listenPort(c.Listen)
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
	opts := &server.Options{
		ServerName: "orderctx",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		SyncAlways: c.SyncAlways,
		NoSigs:     true,
		MaxPayload: 1 << 20,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("natsbus: embedded server: %w", err)
	}
	if c.Logger != nil {
		ns.SetLoggerV2(slogAdapter{c.Logger.With("component", "nats")}, false, false, false)
	}
	s.ns = ns
	go ns.Start()
	if !ns.ReadyForConnections(startTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("natsbus: embedded server on %s not ready within %v", c.Listen, startTimeout)
	}
	return s, nil
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

// slogAdapter passes the server's log to slog; debug and trace are off.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Noticef(format string, v ...any) { a.l.Info(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.l.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Fatalf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Errorf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Debugf(format string, v ...any) {
	a.l.Log(context.Background(), slog.LevelDebug, fmt.Sprintf(format, v...))
}
func (a slogAdapter) Tracef(format string, v ...any) {
	a.l.Log(context.Background(), slog.LevelDebug-4, fmt.Sprintf(format, v...))
}
