package store_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// The crash loop runs a fixed sequence of operations in a child process with
// tiny log segments and a compaction whenever the log passes 16 KB and
// twice its live bytes, so that sealing, compactions, segment deletion and
// container drops all happen, and kills it with SIGKILL
// at a random moment, again and again on the same directory. Each child
// first reports the state it recovered: it must be the state after every
// acknowledged operation, plus at most the one in flight.

// crashOp is operation i of the sequence: every 500th drops the container
// and the next recreates it; otherwise it deletes or upserts one of 50 items.
func crashOp(i int) (kind string, id string) {
	switch {
	case i%500 == 499:
		return "drop", ""
	case i > 0 && i%500 == 0:
		return "create", ""
	case i%7 == 3:
		return "delete", strconv.Itoa(i % 50)
	default:
		return "upsert", strconv.Itoa(i % 50)
	}
}

// crashModel is the expected state after operations 0..n-1: "absent" or the
// sorted id=value list.
func crashModel(n int) string {
	exists, items := true, map[string]int{}
	for i := 0; i < n; i++ {
		switch kind, id := crashOp(i); kind {
		case "drop":
			exists, items = false, map[string]int{}
		case "create":
			exists, items = true, map[string]int{}
		case "delete":
			delete(items, id)
		case "upsert":
			items[id] = i
		}
	}
	return crashState(exists, items)
}

func crashState(exists bool, items map[string]int) string {
	if !exists {
		return "absent"
	}
	var kv []string
	for k, v := range items {
		kv = append(kv, k+"="+strconv.Itoa(v))
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

const crashContainer = `{"id":"c","partitionKey":{"paths":["/pk"]}}`

// TestCrashLoopChild is the child's body; it runs only when the loop starts it.
func TestCrashLoopChild(t *testing.T) {
	dir := os.Getenv("CRASHLOOP_DIR")
	if dir == "" {
		t.Skip("started by TestAcknowledgedOperationsSurviveRepeatedKills")
	}
	start, _ := strconv.Atoi(os.Getenv("CRASHLOOP_START"))
	eng, err := store.Open(store.WithLogTuning(store.Options{Dir: dir}, 8<<10, 16<<10))
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	db, err := eng.Database("db")
	if err != nil {
		if db, err = eng.CreateDatabase("db", nil); err != nil {
			fmt.Println("ERR", err)
			os.Exit(3)
		}
	}
	pk := store.NewPartitionKey([]any{"p"})
	c, err := db.Container("c")
	items := map[string]int{}
	if err == nil {
		docs, err := c.PartitionDocs(pk)
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(3)
		}
		for _, d := range docs {
			var v struct {
				ID string `json:"id"`
				V  int    `json:"v"`
			}
			_ = json.Unmarshal(d.Body, &v)
			items[v.ID] = v.V
		}
	} else if start == 0 {
		c, err = db.CreateContainer([]byte(crashContainer), 1, nil)
	}
	fmt.Println("STATE", crashState(c != nil, items))
	for i := start; ; i++ {
		switch kind, id := crashOp(i); kind {
		case "drop":
			err = db.DeleteContainer("c")
		case "create":
			c, err = db.CreateContainer([]byte(crashContainer), 1, nil)
		case "delete":
			c.Execute(pk, []store.Op{{Kind: store.OpDelete, ID: id}}) // 404 when already absent is fine
		case "upsert":
			body := fmt.Sprintf(`{"id":"%s","pk":"p","v":%d,"pad":"%s"}`, id, i, strings.Repeat("x", 100))
			if res, ok := c.Execute(pk, []store.Op{{Kind: store.OpUpsert, Body: []byte(body)}}); !ok {
				err = res[0].Err
			}
		}
		if err != nil && i == start && alreadyApplied(err) {
			// The operation in flight at the last kill was durable: go on
			// from its state (after a drop, no container).
			c, _ = db.Container("c")
			err = nil
		}
		if err != nil {
			fmt.Println("ERR", i, err)
			os.Exit(3)
		}
		fmt.Println("ACK", i)
	}
}

// alreadyApplied tells the refusal of an operation that a crash made
// durable without acknowledging it: the child resumes with the operation
// that was in flight, and the parent, from the recovered state, counts it
// as done when it was. Recreating the container then answers 409 and
// dropping it 404; upserts and deletes repeat without a refusal.
func alreadyApplied(err error) bool {
	var se *store.Error
	return errors.As(err, &se) && (se.Status == 409 || se.Status == 404)
}

func TestAcknowledgedOperationsSurviveRepeatedKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	t.Parallel()
	rounds := 25
	if v, err := strconv.Atoi(os.Getenv("CRASHLOOP_ROUNDS")); err == nil {
		rounds = v
	}
	dir := t.TempDir()
	next := 0 // operations acknowledged so far
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashLoopChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CRASHLOOP_DIR="+dir, "CRASHLOOP_START="+strconv.Itoa(next))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || !strings.HasPrefix(lines.Text(), "STATE ") {
			_ = cmd.Process.Kill()
			t.Fatalf("round %d: the child did not report its state: %q", round, lines.Text())
		}
		got := strings.TrimPrefix(lines.Text(), "STATE ")
		switch {
		case got == crashModel(next):
		case got == crashModel(next+1): // the operation in flight at the kill was durable
			next++
		default:
			_ = cmd.Process.Kill()
			t.Fatalf("round %d: recovered %q after %d acknowledged operations\nwant %q\n  or %q",
				round, got, next, crashModel(next), crashModel(next+1))
		}
		acked := make(chan int)
		go func() {
			defer close(acked)
			for lines.Scan() {
				if n, ok := strings.CutPrefix(lines.Text(), "ACK "); ok {
					i, _ := strconv.Atoi(n)
					acked <- i
				} else {
					t.Errorf("round %d: child: %s", round, lines.Text())
				}
			}
		}()
		kill := time.After(time.Duration(20+rand.IntN(300)) * time.Millisecond)
		last := next - 1
	run:
		for {
			select {
			case i, ok := <-acked:
				if !ok {
					break run
				}
				last = i
			case <-kill:
				_ = cmd.Process.Kill() // SIGKILL
				for i := range acked {
					last = i
				}
				break run
			}
		}
		_ = cmd.Wait()
		next = last + 1
	}
	if snaps, _, _ := logFiles(t, dir); len(snaps) == 0 {
		t.Error("no compaction ran during the loop: the kills never met one")
	}
	t.Logf("%d rounds, %d operations acknowledged", rounds, next)
}
