package funchost

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"orderctx/functions/consumers"
	"orderctx/infra/httpapi"
)

// StatsDocument is the body of funchost's GET /debug/stats: each hosted
// function's figures now, summed over the leases this process holds. A
// benchmark samples it to chart the consumers' lag and rate
// (`orderctx bench`, docs/benchmarks.md).
type StatsDocument struct {
	Functions map[string]FunctionStats `json:"functions"`
}

// FunctionStats is one function's part of StatsDocument.
type FunctionStats struct {
	// Leases are the function's leases; Held those this process processes.
	Leases int `json:"leases"`
	Held   int `json:"held"`
	// Processed counts the documents the handler accepted since this process
	// took its leases; a reader takes differences between samples.
	Processed int64 `json:"processed"`
	// EventsPerSecond is the rate over the last 10 s.
	EventsPerSecond float64 `json:"eventsPerSecond"`
	// LagEvents is the estimated documents not yet processed, summed over
	// held leases; LagSeconds the oldest unprocessed document's age
	// (changefeed.LeaseStats).
	LagEvents  int64   `json:"lagEvents"`
	LagSeconds float64 `json:"lagSeconds"`
	// Parked counts events the consumer parked (in-process consumers only).
	Parked int64 `json:"parked"`
	// StoreRequests and RequestCharge are what the handler's work cost the
	// store since the process started (the consumers in process only: a
	// handler in another process reports nothing here), the feed reads and
	// checkpoints not included.
	StoreRequests int64   `json:"storeRequests"`
	RequestCharge float64 `json:"requestCharge"`
}

// Summary sums each function's lease figures; parked may be nil.
func (h *Host) Summary(parked map[string]int64) StatsDocument {
	doc := StatsDocument{Functions: make(map[string]FunctionStats, len(h.processors))}
	for name, st := range h.Stats() {
		fs := FunctionStats{Leases: len(st.Leases), Parked: parked[name]}
		for _, l := range st.Leases {
			if !l.Held {
				continue
			}
			fs.Held++
			fs.Processed += l.Processed
			fs.EventsPerSecond += l.EventsPerSecond
			fs.LagEvents += l.LagEvents
			fs.LagSeconds = max(fs.LagSeconds, l.LagSeconds)
		}
		m := h.meters[name]
		fs.StoreRequests, fs.RequestCharge = int64(m.Requests()), m.Charge()
		doc.Functions[name] = fs
	}
	return doc
}

// StatsHandler serves GET /debug/stats with host's summary and set's parked
// counts (set may be nil: a handler in another process).
func StatsHandler(host *Host, set *consumers.Set) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/stats", func(w http.ResponseWriter, _ *http.Request) {
		var parked map[string]int64
		if set != nil {
			parked = set.Parked()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(host.Summary(parked))
	})
	return mux
}

// ServeStats serves StatsHandler on ln until ctx ends.
func ServeStats(ctx context.Context, ln net.Listener, host *Host, set *consumers.Set, log *slog.Logger) error {
	var n atomic.Int64
	return httpapi.Server{Name: "funchost statistics", Handler: StatsHandler(host, set), Log: log,
		NewID:        func() string { return "funchost-" + strconv.FormatInt(n.Add(1), 10) },
		WriteTimeout: 5 * time.Second, MaxHeaderBytes: 16 << 10, ShutdownTimeout: 2 * time.Second}.Serve(ctx, ln)
}
