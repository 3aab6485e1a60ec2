package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"orderctx/infra/benchkit/systembench"
)

// TestSystemBenchInProcess runs `orderctx bench` for two seconds against
// the whole system started in process (as `orderctx dev -memory`) and checks
// what it reports: commands accepted and reads answered, a freshness sample
// for every accepted command (positive, none left unseen), the consumers'
// work from funchost's statistics, the refusals the mix provokes (409, 412,
// 400) and nothing else, a JSON report with the documented fields, and an
// SVG chart that is well-formed XML with data in its lines.
func TestSystemBenchInProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sys, stop, err := startInProcess(ctx, ".")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	rep, err := systembench.Run(ctx, systembench.Config{CommandURL: sys.CommandURL, QueryURL: sys.QueryURL, StatsURL: sys.StatsURL,
		Clients: 4, Duration: 2 * time.Second, ReadShare: 0.5, ConflictShare: 0.2, InvalidShare: 0.1, ReferenceShare: 0.2,
		Drain: 10 * time.Second, InProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Commands.Count == 0 || rep.Reads.Count == 0 || rep.Commands.Latency.P99 <= 0 {
		t.Fatalf("commands %+v, reads %+v", rep.Commands, rep.Reads)
	}
	reads, reference := 0, 0
	for _, k := range rep.ByKind {
		switch {
		case k.Kind == "query API no-op (reference)":
			reference = k.Count
		case k.Read:
			reads += k.Count
		}
	}
	if reference == 0 || reads != rep.Reads.Count {
		t.Fatalf("%d no-op references; reads %d by kind, %d in all: the reference must stand apart", reference, reads, rep.Reads.Count)
	}
	f := rep.Freshness
	if f.Samples != rep.Commands.Count || f.NotSeen != 0 || f.Latency.P50 <= 0 || f.Latency.P99 <= 0 || f.Latency.Max < f.Latency.P50 {
		t.Fatalf("freshness %+v for %d accepted commands", f, rep.Commands.Count)
	}
	for _, status := range []string{"400", "409", "412"} {
		if rep.Errors[status] == 0 {
			t.Errorf("no %s among the answers: %v", status, rep.Errors)
		}
	}
	if p := rep.Consumers["ProjectOrders"]; p.Events < int64(rep.Commands.Count) || p.RequestCharge <= 0 {
		t.Errorf("projector %+v for %d accepted commands", p, rep.Commands.Count)
	}
	sampled := 0
	for _, sec := range rep.Timeline {
		if _, ok := sec.Backlog["ProjectOrders"]; ok {
			sampled++
		}
	}
	if sampled == 0 {
		t.Errorf("no second of the timeline has the projector's backlog: %+v", rep.Timeline)
	}
	if !rep.CPU.InProcess || rep.CPU.ClientSeconds <= 0 {
		t.Errorf("cpu %+v", rep.CPU)
	}
	checkJSON(t, rep)
	checkChart(t, rep)

	// A count instead of a duration: exactly that many commands are sent.
	rep, err = systembench.Run(ctx, systembench.Config{CommandURL: sys.CommandURL, QueryURL: sys.QueryURL, StatsURL: sys.StatsURL,
		Clients: 4, Count: 150, ReadShare: 0.3, ConflictShare: 0.2, InvalidShare: 0.1, InProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, k := range rep.ByKind {
		if !k.Read {
			sent += k.Count
		}
	}
	if sent != 150 || rep.Config.Count != 150 || rep.Freshness.NotSeen != 0 {
		t.Fatalf("-count 150: %d commands answered as wanted, config %+v, freshness %+v", sent, rep.Config, rep.Freshness)
	}
}

// checkJSON decodes the JSON report generically and looks for its fields.
func checkJSON(t *testing.T, rep *systembench.Report) {
	t.Helper()
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, buf.String())
	}
	num := func(path ...string) float64 {
		var v any = doc
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		n, ok := v.(float64)
		if !ok {
			t.Errorf("JSON report: %s is %v, want a number", strings.Join(path, "."), v)
		}
		return n
	}
	if num("commands", "perSecond") <= 0 || num("freshness", "latencyMs", "p99") <= 0 || num("reads", "latencyMs", "p50") <= 0 ||
		num("errors", "412") <= 0 || num("requestCharge", "perAcceptedCommand") <= 0 || num("consumers", "ProjectOrders", "events") <= 0 {
		t.Errorf("JSON report:\n%s", buf.String())
	}
	if tl, _ := doc["timeline"].([]any); len(tl) < 2 {
		t.Errorf("timeline %v", doc["timeline"])
	}
}

// checkChart parses the SVG and counts the points of its lines.
func checkChart(t *testing.T, rep *systembench.Report) {
	t.Helper()
	var buf bytes.Buffer
	if err := rep.WriteChart(&buf); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	lines, points := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
			lines++
			for _, a := range el.Attr {
				if a.Name.Local == "points" {
					points += len(strings.Fields(a.Value))
				}
			}
		}
	}
	if lines < 4 || points < 8 {
		t.Fatalf("chart has %d lines with %d points", lines, points)
	}
}

// BenchmarkSystem runs the system bench once in process (use -benchtime 1x)
// for SYSTEMBENCH_SECONDS (default 10) with 16 clients and reports its key
// figures. Against a system in its own process, run `orderctx bench`
// (docs/benchmarks.md): in process the bench and the system share one
// process's CPU.
func BenchmarkSystem(b *testing.B) {
	seconds := 10
	if n, err := strconv.Atoi(os.Getenv("SYSTEMBENCH_SECONDS")); err == nil && n > 0 {
		seconds = n
	}
	for range b.N {
		sys, stop, err := startInProcess(context.Background(), ".")
		if err != nil {
			b.Fatal(err)
		}
		rep, err := systembench.Run(context.Background(), systembench.Config{CommandURL: sys.CommandURL, QueryURL: sys.QueryURL,
			StatsURL: sys.StatsURL, Duration: time.Duration(seconds) * time.Second, ReadShare: 0.5, ConflictShare: 0.04, InvalidShare: 0.02, InProcess: true})
		if serr := stop(); err == nil {
			err = serr
		}
		if err != nil {
			b.Fatal(err)
		}
		rep.WriteTable(os.Stdout)
		b.ReportMetric(rep.Commands.PerSecond, "commands/s")
		b.ReportMetric(rep.Commands.Latency.P99, "command-p99-ms")
		b.ReportMetric(rep.Freshness.Latency.P99, "freshness-p99-ms")
		b.ReportMetric(rep.CPU.ClientPerRequestMicros, "process-cpu-µs/request")
	}
}
