package systemtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// Launcher starts processes of one executable with a common environment,
// each logging to its own file in LogDir. A test binary whose TestMain runs
// a command when it finds an environment variable (the process tests of
// funchost, the system tests at the module root) launches itself so.
type Launcher struct {
	Exe    string
	Env    []string // added to this process's environment
	LogDir string
	n      int
}

// Proc is a started process.
type Proc struct {
	Name   string
	Log    string // the file its stdout and stderr go to
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// Start starts a process named name (for its log file) with args, and the
// extra environment on top of the launcher's. The process is killed when
// tb ends, unless it has exited before.
func (l *Launcher) Start(tb testing.TB, name string, env []string, args ...string) *Proc {
	tb.Helper()
	l.n++
	path := filepath.Join(l.LogDir, fmt.Sprintf("%02d-%s.log", l.n, name))
	log, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(l.Exe, args...)
	cmd.Env = append(append(os.Environ(), l.Env...), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		tb.Fatal(err)
	}
	p := &Proc{Name: name, Log: path, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.exited)
	}()
	tb.Cleanup(p.Kill)
	return p
}

// PID is the process's id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Kill ends the process with SIGKILL (a crash: nothing is released or
// flushed) and waits for it to be gone.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Signal sends sig (SIGTERM, SIGINT: a graceful stop) and waits up to
// within for the process to exit; it returns how it exited.
func (p *Proc) Signal(sig os.Signal, within time.Duration) error {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(within):
		return fmt.Errorf("%s (pid %d) did not exit within %v of %v", p.Name, p.PID(), within, sig)
	}
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Err is how the process exited, once Exited is closed.
func (p *Proc) Err() error { return p.err }

// ExitCode is the process's exit status once it has exited (-1 when it was
// killed by a signal).
func (p *Proc) ExitCode() int {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	return 0
}

// ShowLogs logs the tail of every process log of l when tb failed.
func (l *Launcher) ShowLogs(tb testing.TB) {
	if !tb.Failed() {
		return
	}
	files, _ := filepath.Glob(filepath.Join(l.LogDir, "*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		tb.Logf("--- %s (tail)\n%s", filepath.Base(f), b)
	}
}

// LogLines counts the lines of the process logs of l that match re.
func (l *Launcher) LogLines(re *regexp.Regexp) int {
	files, _ := filepath.Glob(filepath.Join(l.LogDir, "*.log"))
	n := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		n += len(re.FindAll(b, -1))
	}
	return n
}

// Await polls cond every 20 ms until it holds, failing tb after within.
func Await(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
