package natsbus_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"orderctx/infra/bus/natsbus"
)

const crashChildEnv = "NATSBUS_CRASH_CHILD_DIR"

// TestAcknowledgedMessagesSurviveKill9 runs a child process that publishes
// batches to an embedded server and reports each acknowledged batch, kills
// it with SIGKILL mid-stream, and opens the same directory: every
// acknowledged message is there, and publishing it again is a duplicate.
func TestAcknowledgedMessagesSurviveKill9(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedMessagesSurviveKill9$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	// The child waits on its stdin after publishing: it ends when this
	// process does, even if the kill below never happens.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := 0
	lines := bufio.NewScanner(out)
	for acked < 2000 && lines.Scan() {
		if n, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
			acked, _ = strconv.Atoi(n)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < 2000 {
		t.Fatalf("the child acknowledged only %d messages before it ended", acked)
	}

	b := open(t, natsbus.Config{DataDir: dir})
	if n := streamMsgs(t, b.URL(), b.Stream()); n < uint64(acked) {
		t.Fatalf("after kill -9 the stream holds %d messages, %d were acknowledged", n, acked)
	}
	msgs := messages(t, orderEvents(t, crashOrders, "k"))[:acked]
	res, err := b.PublishResult(ctxT(t), msgs)
	if err != nil || res.Duplicates != acked {
		t.Fatalf("republishing the %d acknowledged messages: %+v, %v", acked, res, err)
	}
}

// crashOrders makes 20,000 messages: the child is still publishing when the
// parent kills it after 2,000 acknowledgements.
const crashOrders = 5000

// crashChild publishes 100-message batches until it is killed, printing the
// number of acknowledged messages after each batch.
func crashChild(t *testing.T, dir string) {
	b, err := natsbus.Open(context.Background(), natsbus.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := messages(t, orderEvents(t, crashOrders, "k"))
	for i := 0; i < len(msgs); i += 100 {
		if err := b.Publish(context.Background(), msgs[i:i+100]); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("acked %d\n", i+100)
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // wait for the kill, or the parent's end
	os.Exit(0)
}
