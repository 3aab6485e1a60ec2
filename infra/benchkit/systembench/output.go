package systembench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"orderctx/infra/benchkit"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as Markdown tables.
func (r *Report) WriteTable(w io.Writer) {
	c := r.Config
	length := c.Duration
	if c.Count > 0 {
		length = fmt.Sprintf("%d commands", c.Count)
	}
	fmt.Fprintf(w, "system bench %s: %d clients, %s (%.1f s), reads %.0f%% (%.0f%% of them the no-op reference), conflicts %.0f%%, invalid %.0f%% of commands\n",
		r.StartedAt.Format("2006-01-02 15:04 MST"), c.Clients, length, r.Seconds, c.ReadShare*100, c.ReferenceShare*100, c.ConflictShare*100, c.InvalidShare*100)
	fmt.Fprintf(w, "machine: %d CPUs %s, %s, load average %s before, %s after\n\n", r.Machine.CPUs, r.Machine.CPUModel,
		r.Machine.GoVersion, r.Machine.LoadAverage, r.LoadAverageAfter)
	fmt.Fprintf(w, "| requests | count | per second | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, t Throughput) {
		l := t.Latency
		fmt.Fprintf(w, "| %s | %d | %.0f | %.2f ms | %.2f ms | %.2f ms | %.2f ms |\n", name, t.Count, t.PerSecond, l.P50, l.P95, l.P99, l.Max)
	}
	row("**accepted commands**", r.Commands)
	for _, k := range r.ByKind {
		if !k.Read {
			row("└ "+k.Kind, k.Throughput)
		}
	}
	row("**reads**", r.Reads)
	for _, k := range r.ByKind {
		if k.Read && k.Kind != kindReference {
			row("└ "+k.Kind, k.Throughput)
		}
	}
	if ref, get := r.kind(kindReference), r.kind(kindGet); ref.Count > 0 {
		row(kindReference, ref)
		fmt.Fprintf(w, "\nreads by id p99 %.2f ms against the query API's no-op %.2f ms in the same run (%.2f×)\n",
			get.Latency.P99, ref.Latency.P99, get.Latency.P99/max(ref.Latency.P99, 1e-9))
	}
	f := r.Freshness
	fmt.Fprintf(w, "\n| freshness (command answered → view on /live) | samples | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(w, "| | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms |\n", f.Samples, f.Latency.P50, f.Latency.P95, f.Latency.P99, f.Latency.Max)
	fmt.Fprintf(w, "\nnot seen after the drain: %d; seen before the answer was noted: %d; /live resets: %d\n", f.NotSeen, f.Early, f.Resets)
	r.writeConsumers(w)
	r.writeCPU(w)
	fmt.Fprintf(w, "\nrequest charge: commands %.2f RU (%.2f per accepted command), consumers' handlers %.2f RU\n",
		r.Charge.Commands, r.Charge.PerAcceptedCommand, r.Charge.Consumers)
	fmt.Fprintf(w, "answers of status ≥ 400: %s\n", countList(r.Errors))
	if len(r.Unexpected) > 0 {
		fmt.Fprintf(w, "UNEXPECTED answers: %s\n", countList(r.Unexpected))
	}
}

// kind is the figures of one kind of request (zero if none was sent).
func (r *Report) kind(name string) Throughput {
	for _, k := range r.ByKind {
		if k.Kind == name {
			return k.Throughput
		}
	}
	return Throughput{}
}

func (r *Report) writeConsumers(w io.Writer) {
	if len(r.Consumers) == 0 {
		fmt.Fprintf(w, "\nconsumers: no statistics (funchost's GET /debug/stats was not reachable)\n")
		return
	}
	fmt.Fprintf(w, "\n| consumer | events | events/s | max backlog (events) | funchost's max lag (events) | (s) | parked | RU |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range slices.Sorted(maps.Keys(r.Consumers)) {
		c := r.Consumers[name]
		fmt.Fprintf(w, "| %s | %d | %.0f | %d | %d | %.2f | %d | %.2f |\n", name, c.Events, c.EventsPerSecond, c.MaxBacklog, c.MaxLagEvents, c.MaxLagSeconds, c.Parked, c.RequestCharge)
	}
}

func (r *Report) writeCPU(w io.Writer) {
	c := r.CPU
	switch {
	case c.InProcess:
		fmt.Fprintf(w, "\nCPU: the system ran in the bench's process: %.2f s for both (%.1f µs per request); no server figure apart\n",
			c.ClientSeconds, c.ClientPerRequestMicros)
	case len(c.Processes) == 0:
		fmt.Fprintf(w, "\nCPU: no system process found on this machine (give -pids); the bench used %.1f µs per request\n", c.ClientPerRequestMicros)
	default:
		var ps []string
		for _, p := range c.Processes {
			ps = append(ps, fmt.Sprintf("%s (pid %d: %.2f s, %.0f µs per command)", p.Name, p.PID, p.Seconds, p.PerCommandMicros))
		}
		fmt.Fprintf(w, "\nCPU of the system, %s: %.2f s, %.0f µs per accepted command, %.0f µs per request; the bench: %.2f s, %.0f µs per request; server/bench per request %.2f\n",
			strings.Join(ps, ", "), c.ServerSeconds, c.ServerPerCommandMicros, c.ServerPerRequestMicros, c.ClientSeconds, c.ClientPerRequestMicros, c.ServerToClient)
	}
}

func countList(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// WriteChart writes the timeline as an SVG chart: throughput, freshness,
// the consumers' lag and the server's CPU, one panel each, per second.
func (r *Report) WriteChart(w io.Writer) error {
	n := len(r.Timeline)
	series := func(name string, f func(Second) float64) benchkit.Series {
		s := benchkit.Series{Name: name, Values: make([]float64, n)}
		for i, sec := range r.Timeline {
			s.Values[i] = f(sec)
		}
		return s
	}
	opt := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	throughput := benchkit.Panel{Title: "Throughput", Unit: "per second", Series: []benchkit.Series{
		series("accepted commands/s", func(s Second) float64 { return float64(s.Commands) }),
		series("reads/s", func(s Second) float64 { return float64(s.Reads) }),
	}}
	freshness := benchkit.Panel{Title: "Freshness: command answered → view on /live", Unit: "ms", Series: []benchkit.Series{
		series("p50", func(s Second) float64 { return opt(s.FreshnessP50) }),
		series("p99", func(s Second) float64 { return opt(s.FreshnessP99) }),
	}}
	lag := benchkit.Panel{Title: "Consumer backlog: events appended, not yet processed", Unit: "events"}
	rate := benchkit.Panel{Title: "Consumers", Unit: "events/s"}
	for _, name := range slices.Sorted(maps.Keys(r.Consumers)) {
		lag.Series = append(lag.Series, series(name, func(s Second) float64 { return float64(s.Backlog[name]) }))
		rate.Series = append(rate.Series, series(name, func(s Second) float64 { return s.EventsPerSecond[name] }))
	}
	panels := []benchkit.Panel{throughput, freshness}
	if len(r.Consumers) > 0 {
		panels = append(panels, lag, rate)
	}
	if len(r.CPU.Processes) > 0 {
		panels = append(panels, benchkit.Panel{Title: "System processes' CPU", Unit: "cores", Series: []benchkit.Series{
			series("server", func(s Second) float64 { return s.ServerCores })}})
	}
	title := fmt.Sprintf("orderctx system bench, %s, %d clients", r.StartedAt.Format("2006-01-02 15:04 MST"), r.Config.Clients)
	return benchkit.WriteChart(w, title, "seconds", panels)
}
