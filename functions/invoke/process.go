package invoke

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"orderctx/functions/protocol"
)

// Process is a custom handler process started as the host starts one.
type Process struct {
	// BaseURL is where the handler listens: http://127.0.0.1:<port>.
	BaseURL string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
}

// ProcessOptions tune StartProcess.
type ProcessOptions struct {
	// AppRoot goes into FUNCTIONS_APP_ROOT_PATH (default: the command's
	// working directory, if set).
	AppRoot string
	// ReadyTimeout bounds the wait for the first answer (default 30 s, the
	// host's).
	ReadyTimeout time.Duration
}

// pollInterval is how often the host probes a starting handler.
const pollInterval = 25 * time.Millisecond

// StartProcess runs cmd as the Functions host runs its custom handler:
// FUNCTIONS_CUSTOMHANDLER_PORT set to a free port on 127.0.0.1 (plus the
// worker id and app root), then GET / every 25 ms until any HTTP answer.
// It fails if the process exits first or does not answer in time (then it
// is killed). cmd's environment defaults to this process's.
func StartProcess(ctx context.Context, cmd *exec.Cmd, opts ProcessOptions) (*Process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	root := opts.AppRoot
	if root == "" {
		root = cmd.Dir
	}
	cmd.Env = append(cmd.Env, protocol.EnvPort+"="+strconv.Itoa(port), protocol.EnvWorkerID+"="+newGUID(), protocol.EnvAppRoot+"="+root)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start custom handler: %w", err)
	}
	p := &Process{BaseURL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	timeout := opts.ReadyTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if err := p.awaitReady(ctx, timeout); err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

// freePort asks the system for a free port, as the host does.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// awaitReady probes GET / until the handler answers anything.
func (p *Process) awaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+"/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("custom handler exited before it answered: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("custom handler did not answer GET / within %s: %w", timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is how the process ended, after Done.
func (p *Process) Err() error { return p.err }

// Stop asks the process to end (an interrupt signal), waits up to grace,
// then kills it.
func (p *Process) Stop(grace time.Duration) error {
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.Kill()
		return nil
	}
	select {
	case <-p.done:
		return p.exitErr()
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("custom handler did not stop within %s; killed", grace)
	}
}

// Kill ends the process at once and waits for it.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// exitErr is the process's error, except the interrupt Stop sent.
func (p *Process) exitErr() error {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) && !ee.Exited() {
		return nil // ended by the signal
	}
	return p.err
}
