package verify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"orderctx/functions/verify/check"
)

// print writes the report: as JSON, or as one line per difference and per
// parked event followed by the summary line.
func (m *Main) print(r *check.Report) error {
	if m.JSON {
		enc := json.NewEncoder(m.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonReport{Report: r, OK: r.OK(), EventsPerSecond: r.EventsPerSecond()})
	}
	w := bufio.NewWriter(m.Out)
	for _, d := range r.Differences {
		fmt.Fprintln(w, d)
	}
	if more := r.DifferenceCount - len(r.Differences); more > 0 {
		fmt.Fprintf(w, "... and %d more differences (-max-diffs)\n", more)
	}
	for _, l := range r.Parked {
		fmt.Fprintln(w, parkedLine(l))
	}
	if more := r.ParkedCount - len(r.Parked); more > 0 {
		fmt.Fprintf(w, "... and %d more parked events (-max-diffs)\n", more)
	}
	fmt.Fprintln(w, summary(r))
	return w.Flush()
}

// jsonReport is the report with what the text summary computes.
type jsonReport struct {
	*check.Report
	OK              bool    `json:"ok"`
	EventsPerSecond float64 `json:"eventsPerSecond"`
}

func parkedLine(l check.Letter) string {
	where := l.ID
	if l.Stream != "" {
		where = fmt.Sprintf("%s@%d", l.Stream, l.Version)
	}
	return fmt.Sprintf("%-22s %s %s %s: %s", "parked", l.Consumer, where, l.EventType, l.Reason)
}

// summary is the last line: what was read, the outcome and the rate.
func summary(r *check.Report) string {
	c := r.Counts
	parts := []string{fmt.Sprintf("%d events in %d streams (%d orders)", c.Events, c.Streams, c.OrderStreams)}
	sources := make([]string, 0, len(c.Views))
	for name := range c.Views {
		sources = append(sources, name)
	}
	sort.Strings(sources)
	for _, name := range sources {
		parts = append(parts, fmt.Sprintf("%d views (%s)", c.Views[name], name))
	}
	parts = append(parts, fmt.Sprintf("%d snapshots", c.Snapshots), fmt.Sprintf("%d parked", r.ParkedCount))
	if r.Bus != "" {
		bus := fmt.Sprintf("%d messages (%s)", c.Messages, r.Bus)
		if c.BeyondRetention > 0 {
			bus += fmt.Sprintf(", %d events older than the stream keeps", c.BeyondRetention)
		}
		parts = append(parts, bus)
	} else {
		parts = append(parts, "bus not checked")
	}
	if c.Acks > 0 {
		parts = append(parts, fmt.Sprintf("%d acknowledged commands", c.Acks))
	}
	outcome := "consistent"
	if !r.OK() {
		outcome = fmt.Sprintf("%s (%s)", plural(r.DifferenceCount, "difference"), strings.Join(r.KindCounts(), ", "))
	}
	return fmt.Sprintf("verify: %s; %s in %.1fs (%.0f events/s)", outcome, strings.Join(parts, ", "),
		r.Elapsed.Seconds(), r.EventsPerSecond())
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
