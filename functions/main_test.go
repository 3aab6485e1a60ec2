package functions_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"orderctx/functions"
)

func consumersFor(t testing.TB, c functions.Consumer) map[string]functions.Consumer {
	t.Helper()
	m := map[string]functions.Consumer{}
	for _, fn := range checkedInApp(t).Functions {
		m[fn.Name] = c
	}
	return m
}

func TestMainRefusesToStartWithoutAPort(t *testing.T) {
	t.Parallel()
	app := checkedInApp(t)
	for value, want := range map[string]string{
		"":      "FUNCTIONS_CUSTOMHANDLER_PORT is not set",
		"http":  `FUNCTIONS_CUSTOMHANDLER_PORT="http" is not a TCP port`,
		"70000": `FUNCTIONS_CUSTOMHANDLER_PORT="70000" is not a TCP port`,
		"-1":    `FUNCTIONS_CUSTOMHANDLER_PORT="-1" is not a TCP port`,
	} {
		getenv := func(k string) string {
			if k == "FUNCTIONS_CUSTOMHANDLER_PORT" {
				return value
			}
			return ""
		}
		m, err := functions.NewMain(app, consumersFor(t, &recorder{}), functions.MainOptions{Getenv: getenv})
		if err == nil {
			m.Close()
			t.Errorf("port %q: started", value)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("port %q: error %v, want %q", value, err, want)
		}
	}
}

func TestMainRefusesUnmatchedConsumers(t *testing.T) {
	t.Parallel()
	_, err := functions.NewMain(checkedInApp(t), map[string]functions.Consumer{"ProjectOrders": &recorder{}},
		functions.MainOptions{Getenv: func(string) string { return "0" }})
	if err == nil || !strings.Contains(err.Error(), "SnapshotOrders has no consumer") {
		t.Fatalf("error %v", err)
	}
}

// TestMainServesAndDrains: the handler listens on 127.0.0.1, answers the
// probe, and on shutdown lets a running invocation finish.
func TestMainServesAndDrains(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	rec := &recorder{onCall: func(context.Context) { close(started); <-release }}
	m, err := functions.NewMain(checkedInApp(t), consumersFor(t, rec), functions.MainOptions{Getenv: func(string) string { return "0" }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if host, _, _ := net.SplitHostPort(m.Addr()); host != "127.0.0.1" {
		t.Fatalf("listening on %s", m.Addr())
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	base := "http://" + m.Addr()
	resp, err := http.Get(base + "/")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("probe: %v %v", resp, err)
	}
	resp.Body.Close()

	replied := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post(base+"/ProjectOrders", "application/json", strings.NewReader(`{"Data":{"documents":"\"[{}]\""}}`))
		if err != nil {
			t.Error(err)
		}
		replied <- resp
	}()
	<-started
	stop() // shut down while the invocation runs
	close(release)
	resp = <-replied
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the running invocation was cut off: %v", resp)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"Outputs":{}`) {
		t.Errorf("reply %s", body)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if resp, err := http.Get(base + "/"); err == nil {
		resp.Body.Close()
		t.Error("still serving after shutdown")
	}
}
