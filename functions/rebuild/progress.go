package rebuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"orderctx/infra/replay"
)

// Progress is what a rebuild reports while its reader replays the events.
type Progress struct {
	// Phase is what the rebuild is doing: "filling views-2", "verifying"...
	Phase string
	// Processed counts the events this run has handled; Behind estimates
	// those left (total is about their sum).
	Processed, Behind int64
	// Unit is what is counted: "events" (the default) or "orders".
	Unit     string
	CaughtUp bool
	Elapsed  time.Duration
}

// Percent is the share done, estimated.
func (p Progress) Percent() float64 {
	switch {
	case p.CaughtUp:
		return 100
	case p.Processed+p.Behind == 0:
		return 0
	}
	return 100 * float64(p.Processed) / float64(p.Processed+p.Behind)
}

// meter shows progress on a terminal as a bar redrawn in place, and
// elsewhere (a log file, CI) as a plain line every lineEvery.
type meter struct {
	out       io.Writer
	tty       bool
	lineEvery time.Duration
	hook      func(Progress)
	start     time.Time
	lastLine  time.Time
	drawn     bool
}

// plainLineEvery is the interval of progress lines when not on a terminal.
const plainLineEvery = 5 * time.Second

func newMeter(out io.Writer, hook func(Progress)) *meter {
	if out == nil {
		out = io.Discard
	}
	return &meter{out: out, tty: isTerminal(out), lineEvery: plainLineEvery, hook: hook, start: time.Now()}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// show reports p: to the hook, and drawn or printed.
func (m *meter) show(p Progress) {
	p.Elapsed = time.Since(m.start)
	if m.hook != nil {
		m.hook(p)
	}
	line := render(p)
	switch {
	case m.tty:
		fmt.Fprintf(m.out, "\r\033[K%s", line)
		m.drawn = true
	case p.CaughtUp || time.Since(m.lastLine) >= m.lineEvery:
		fmt.Fprintln(m.out, line)
		m.lastLine = time.Now()
	}
}

// say prints a line of its own (ending a bar in progress first).
func (m *meter) say(format string, a ...any) {
	if m.drawn {
		fmt.Fprintln(m.out)
		m.drawn = false
	}
	fmt.Fprintf(m.out, format+"\n", a...)
}

const barWidth = 30

// render is one progress line: phase, bar, share, counts, rate.
func render(p Progress) string {
	done := int(p.Percent() * barWidth / 100)
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Processed) / s
	}
	total := "~" + group(p.Processed+p.Behind)
	if p.CaughtUp {
		total = group(p.Processed)
	}
	unit := p.Unit
	if unit == "" {
		unit = "events"
	}
	return fmt.Sprintf("%-18s [%s%s] %5.1f%%  %s of %s %s  %s/s", p.Phase,
		strings.Repeat("#", done), strings.Repeat("-", barWidth-done), p.Percent(), group(p.Processed), total, unit, group(int64(rate)))
}

// group writes n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// progressTick is how often a running replay is looked at.
const progressTick = 100 * time.Millisecond

// waitCaughtUp reports the replay's progress until it has caught up with
// every change made after since (zero: any), or fails, or ctx ends.
func waitCaughtUp(ctx context.Context, r *replay.Replay, failed <-chan error, m *meter, phase string, since time.Time) error {
	t := time.NewTicker(progressTick)
	defer t.Stop()
	for {
		p := r.Progress()
		done := p.CaughtUp() && p.CaughtUpAt.After(since)
		m.show(Progress{Phase: phase, Processed: p.Processed, Behind: p.Behind, CaughtUp: done})
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case err := <-failed:
			return fmt.Errorf("the events reader stopped: %w", err)
		case <-t.C:
		}
	}
}
