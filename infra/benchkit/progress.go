package benchkit

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// IsTerminal says whether f is a terminal (a tty answers TCGETS).
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Progress shows how far a run is: on a terminal, a bar redrawn in place;
// elsewhere (a file, a pipe, CI's log) a plain line every Every, so logs stay
// readable.
type Progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	last  time.Time
	drawn bool
}

// NewProgress writes to f, as a bar when f is a terminal, else as a line
// at most every every.
func NewProgress(f *os.File, every time.Duration) *Progress {
	return &Progress{w: f, tty: IsTerminal(f), every: every}
}

// NewPlainProgress writes plain lines to w at most every every.
func NewPlainProgress(w io.Writer, every time.Duration) *Progress {
	return &Progress{w: w, every: every}
}

// barWidth is the bar's length in characters.
const barWidth = 24

// Update shows done (0 to 1) and a status line.
func (p *Progress) Update(now time.Time, done float64, status string) {
	done = min(max(done, 0), 1)
	if p.tty {
		n := int(done * barWidth)
		fmt.Fprintf(p.w, "\r\033[K[%s%s] %3.0f%% %s", strings.Repeat("#", n), strings.Repeat(".", barWidth-n), done*100, status)
		p.drawn = true
		return
	}
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "%3.0f%% %s\n", done*100, status)
}

// Done ends the bar's line on a terminal.
func (p *Progress) Done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
}
