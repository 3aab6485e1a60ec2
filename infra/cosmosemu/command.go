package cosmosemu

import (
	"context"
	"crypto/tls"
	"flag"
	"log/slog"
	"net"
	"path/filepath"

	"orderctx/infra/benchkit"
	"orderctx/infra/gctune"
)

// Main is the `orderctx cosmos` command: the server where the official
// emulator listens, so emulator-configured tools connect unchanged.
// ParseFlags, then Run until the context ends; Close releases what Run left.
type Main struct {
	Addr        string
	DataDir     string
	Memory      bool
	PlainHTTP   bool
	Key         string
	Partitions  int
	Consistency string
	CPUProfile  string
	Log         *slog.Logger
}

// NewMain returns the command with its defaults.
func NewMain() *Main {
	return &Main{Addr: DefaultAddress, DataDir: filepath.Join(".orderctx", "cosmos"), Key: EmulatorKey,
		Partitions: 1, Consistency: "Session", Log: slog.Default()}
}

// ParseFlags reads the command line.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("cosmos", flag.ContinueOnError)
	fs.StringVar(&m.Addr, "addr", m.Addr, "listen address (loopback by default)")
	fs.StringVar(&m.DataDir, "data", m.DataDir, "data directory")
	fs.BoolVar(&m.Memory, "memory", m.Memory, "keep data in memory only (nothing survives a restart)")
	fs.BoolVar(&m.PlainHTTP, "http", m.PlainHTTP, "serve plain HTTP instead of HTTPS")
	fs.StringVar(&m.Key, "key", m.Key, "base64 master key clients sign requests with")
	fs.IntVar(&m.Partitions, "partitions", m.Partitions, "physical partitions per new container")
	fs.StringVar(&m.Consistency, "consistency", m.Consistency, "default consistency level the account reports")
	fs.StringVar(&m.CPUProfile, "cpuprofile", m.CPUProfile, "write a CPU profile of the server to this file until it stops")
	return fs.Parse(args)
}

// Run serves until ctx ends, then stops the server and flushes the store.
func (m *Main) Run(ctx context.Context) error {
	// The server keeps every item in memory and allocates per request.
	gctune.ForInMemoryData()
	stopProfile, err := benchkit.CPUProfile(m.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	dir := m.DataDir
	if m.Memory {
		dir = ""
	}
	srv, err := New(Config{Dir: dir, Key: m.Key, DefaultPartitions: m.Partitions, Log: m.Log, Consistency: m.Consistency})
	if err != nil {
		return err
	}
	defer m.closeServer(srv)
	var cert *tls.Certificate
	scheme := "http"
	if !m.PlainHTTP {
		if cert, err = Certificate(dir); err != nil {
			return err
		}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	m.Log.Info("cosmos server listening", "endpoint", scheme+"://localhost:"+port+"/", "data", dir, "memory", m.Memory)
	return srv.Serve(ctx, ln, cert)
}

// closeServer logs the store's group-commit statistics and closes it.
func (m *Main) closeServer(srv *Server) {
	st := srv.Engine().Stats()
	perCommit := 0.0
	if st.Commits > 0 {
		perCommit = float64(st.Requests) / float64(st.Commits)
	}
	m.Log.Info("cosmos store stats", "commits", st.Commits, "writes", st.Requests, "writesPerCommit", perCommit,
		"compactions", st.Compactions, "logBytes", st.LogBytes, "liveBytes", st.LiveBytes)
	srv.Close()
}

// Close has nothing left to release: Run stops the server when its context ends.
func (m *Main) Close() error { return nil }
