package main

import (
	"context"
	"crypto/tls"
	"flag"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"

	"orderctx/infra/cosmosemu"
)

// runCosmos serves the embedded Cosmos DB-compatible server where the
// official emulator listens, so emulator-configured tools connect unchanged.
func runCosmos(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cosmos", flag.ContinueOnError)
	addr := fs.String("addr", cosmosemu.DefaultAddress, "listen address (loopback by default)")
	dataDir := fs.String("data", filepath.Join(".orderctx", "cosmos"), "data directory")
	memory := fs.Bool("memory", false, "keep data in memory only (nothing survives a restart)")
	plain := fs.Bool("http", false, "serve plain HTTP instead of HTTPS")
	key := fs.String("key", cosmosemu.EmulatorKey, "base64 master key clients sign requests with")
	partitions := fs.Int("partitions", 1, "physical partitions per new container")
	consistency := fs.String("consistency", "Session", "default consistency level the account reports")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server to this file until it stops")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// The server keeps every item in memory and allocates per request:
		// collecting at 4x the live heap instead of 2x cuts its GC CPU per
		// request by about 15% (docs/benchmarks.md). GOGC overrides this.
		debug.SetGCPercent(400)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	dir := *dataDir
	if *memory {
		dir = ""
	}
	srv, err := cosmosemu.New(cosmosemu.Config{Dir: dir, Key: *key, DefaultPartitions: *partitions, Log: slog.Default(), Consistency: *consistency})
	if err != nil {
		return err
	}
	defer func() {
		st := srv.Engine().Stats()
		perCommit := 0.0
		if st.Commits > 0 {
			perCommit = float64(st.Requests) / float64(st.Commits)
		}
		slog.Info("cosmos store stats", "commits", st.Commits, "writes", st.Requests, "writesPerCommit", perCommit)
		srv.Close()
	}()
	var cert *tls.Certificate
	scheme := "http"
	if !*plain {
		if cert, err = cosmosemu.Certificate(dir); err != nil {
			return err
		}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	slog.Info("cosmos server listening", "endpoint", scheme+"://localhost:"+port+"/", "data", dir, "memory", *memory)
	return srv.Serve(ctx, ln, cert)
}
