package invoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"orderctx/functions"
	"orderctx/functions/funcapp"
	"orderctx/functions/invoke"
)

// TestMain doubles as a custom handler process: StartProcess runs this
// test binary with INVOKE_TEST_HANDLER set.
func TestMain(m *testing.M) {
	switch os.Getenv("INVOKE_TEST_HANDLER") {
	case "":
		os.Exit(m.Run())
	case "serve":
		os.Exit(serveHandler())
	case "exit":
		os.Exit(3)
	case "hang":
		time.Sleep(time.Minute)
		os.Exit(0)
	}
}

// echo fails the first two attempts of a batch, then logs each document's
// id and the retry it succeeded on.
var echo = functions.ConsumerFunc(func(ctx context.Context, docs []json.RawMessage) (functions.Result, error) {
	inv, _ := functions.InvocationFrom(ctx)
	if inv.RetryCount() < 2 {
		return functions.Result{}, errors.New("not yet")
	}
	var logs []string
	for _, d := range docs {
		var doc struct{ ID string }
		if err := json.Unmarshal(d, &doc); err != nil {
			return functions.Result{}, err
		}
		logs = append(logs, doc.ID)
	}
	return functions.Result{Logs: append(logs, fmt.Sprintf("retry %d", inv.RetryCount()))}, nil
})

// serveHandler is the child: `orderctx functions` with echo consumers.
func serveHandler() int {
	app, err := funcapp.Load(funcapp.RootFromEnv(os.Getenv), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	consumers := consumersFor(app, echo)
	m, err := functions.NewMain(app, consumers, functions.MainOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer m.Close()
	ctx, stop := signalContext()
	defer stop()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func child(mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "INVOKE_TEST_HANDLER="+mode)
	cmd.Stderr = os.Stderr
	return cmd
}

func expectLogs(t *testing.T, got []string, n int) {
	t.Helper()
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("order-1:%d", i+1))
	}
	want = append(want, "retry 2")
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("logs %v, want %v", got, want)
	}
}

// TestProcessRoundTrip starts a handler process as the host does and
// invokes it over HTTP on 127.0.0.1, with retries.
func TestProcessRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, err := invoke.StartProcess(ctx, child("serve"), invoke.ProcessOptions{AppRoot: "../.."})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if !strings.HasPrefix(p.BaseURL, "http://127.0.0.1:") {
		t.Errorf("base URL %s", p.BaseURL)
	}
	w := &waits{}
	inv := invoke.New(*checkedInApp(t).Function("PublishIntegrationEvents"), invoke.HTTP(p.BaseURL, nil), invoke.Options{Sleep: w.sleep})
	reply, err := inv.Invoke(ctx, batch(40))
	if err != nil {
		t.Fatal(err)
	}
	expectLogs(t, reply.Logs, 40)
	if len(w.d) != 2 {
		t.Errorf("%d retries, want 2", len(w.d))
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	select {
	case <-p.Done():
	default:
		t.Error("not done after Stop")
	}
}

// TestInProcessMatchesHTTP: the same consumer behind functions.Main on a
// socket and behind the in-process target give the same outcome.
func TestInProcessMatchesHTTP(t *testing.T) {
	t.Parallel()
	app := checkedInApp(t)
	ctx := context.Background()
	inProcess, overHTTP := bothTargets(t, app, consumersFor(app, echo))
	for name, target := range map[string]invoke.Target{"http": overHTTP, "in-process": inProcess} {
		w := &waits{}
		reply, err := invoke.New(*app.Function("SnapshotOrders"), target, invoke.Options{Sleep: w.sleep}).Invoke(ctx, batch(7))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		expectLogs(t, reply.Logs, 7)
	}
}

func TestStartProcessFailures(t *testing.T) {
	t.Parallel()
	if _, err := invoke.StartProcess(context.Background(), child("exit"), invoke.ProcessOptions{}); err == nil || !strings.Contains(err.Error(), "exited before it answered") {
		t.Errorf("exiting child: %v", err)
	}
	// StartProcess kills the silent child and waits for it before it returns.
	_, err := invoke.StartProcess(context.Background(), child("hang"), invoke.ProcessOptions{ReadyTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not answer GET / within") {
		t.Errorf("silent child: %v", err)
	}
	if _, err := invoke.StartProcess(context.Background(), exec.Command("/nonexistent/orderctx"), invoke.ProcessOptions{}); err == nil {
		t.Error("started a missing executable")
	}
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// bothTargets serves consumers in-process and through functions.Main on
// 127.0.0.1, which runs until the test ends.
func bothTargets(t testing.TB, app *funcapp.App, consumers map[string]functions.Consumer) (inProcess, overHTTP invoke.Target) {
	t.Helper()
	h, err := functions.NewHandler(app, consumers, functions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := functions.NewMain(app, consumers, functions.MainOptions{Getenv: func(string) string { return "0" }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-ran; err != nil {
			t.Errorf("handler: %v", err)
		}
	})
	return invoke.InProcess(h), invoke.HTTP("http://"+m.Addr(), nil)
}
