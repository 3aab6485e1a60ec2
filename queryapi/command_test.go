package queryapi_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"orderctx/queryapi"
)

func TestMainFlags(t *testing.T) {
	t.Parallel()
	m := queryapi.NewMain()
	if m.Addr != "127.0.0.1:8090" {
		t.Fatalf("default address %q", m.Addr)
	}
	err := m.ParseFlags([]string{"-memory", "-addr", "127.0.0.1:0", "-max-memory-mib", "64", "-poll", "2ms", "-max-subscribers", "3", "-audit-max-events", "1000"})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Store.Memory || m.Options.MaxMemoryBytes != 64<<20 || m.Options.PollInterval != 2*time.Millisecond ||
		m.Options.Live.MaxSubscribers != 3 || m.Options.MaxAuditEvents != 1000 {
		t.Fatalf("parsed %+v", m)
	}
	for _, args := range [][]string{{"-max-memory-mib", "0"}, {"-poll", "-1s"}, {"-max-subscribers", "-1"}, {"-nope"}} {
		if err := queryapi.NewMain().ParseFlags(args); err == nil {
			t.Errorf("ParseFlags(%v) accepted", args)
		}
	}
}

func TestMainRunsOnTheEmbeddedStore(t *testing.T) {
	t.Parallel()
	m := queryapi.NewMain()
	m.Log = slog.New(slog.DiscardHandler)
	if err := m.ParseFlags([]string{"-memory", "-addr", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	waitReady(t, m.API())
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
