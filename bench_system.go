package main

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"orderctx/infra/benchkit/systembench"
)

// newSystemBench is `orderctx bench` (and `bench system`): the whole
// system driven over HTTP; -inprocess starts it here with startInProcess.
func newSystemBench() program { return systembench.NewMain(startInProcess) }

// startInProcess composes what `orderctx dev -memory` runs, on free
// loopback ports (the broker too), logging only warnings, and serves it
// until the returned stop is called.
func startInProcess(ctx context.Context, appRoot string) (systembench.System, func() error, error) {
	d := newDev()
	d.appRoot = appRoot
	d.store.Memory = true
	d.command.Addr, d.query.Addr, d.statsAddr, d.natsListen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	d.log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sys, err := d.start(ctx)
	if err != nil {
		return systembench.System{}, nil, errors.Join(err, d.Close())
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- sys.run(runCtx) }()
	stop := func() error {
		cancel()
		return errors.Join(<-done, d.Close())
	}
	return systembench.System{CommandURL: sys.CommandURL, QueryURL: sys.QueryURL, StatsURL: sys.StatsURL}, stop, nil
}
