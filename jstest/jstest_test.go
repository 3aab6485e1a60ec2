// Package jstest_test runs the JavaScript SDK (@azure/cosmos) compatibility
// suite in this directory against the embedded Cosmos DB server: the server
// starts in process on a random loopback port with the emulator's key and a
// self-signed certificate, then `node --test` runs every *.test.mjs file with
// COSMOS_ENDPOINT and COSMOS_KEY set. Without node or the installed modules
// (`npm ci` here) the test is skipped, except under CI, where it fails.
package jstest_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/cosmostest"
)

// suiteTimeout bounds the whole node run.
const suiteTimeout = 3 * time.Minute

func TestJavaScriptSDK(t *testing.T) {
	node := requireNode(t)
	endpoint := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout)
	defer cancel()
	// The files wait on the server most of the time: run several at once.
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=4", "--test-reporter=spec")
	cmd.Env = append(os.Environ(),
		"COSMOS_ENDPOINT="+endpoint,
		"COSMOS_KEY="+cosmosemu.EmulatorKey,
		// The server's certificate is self-signed, as the emulator's is.
		"NODE_TLS_REJECT_UNAUTHORIZED=0",
		"NODE_NO_WARNINGS=1",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("node --test output:\n%s", out.String())
	for _, line := range regexp.MustCompile(`(?m)^ℹ (tests|pass|fail|skipped) \d+$`).FindAllString(out.String(), -1) {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("the JavaScript SDK suite failed: %v", err)
	}
}

// requireNode returns the node binary, or skips (fails under CI) when node
// or the suite's modules are missing.
func requireNode(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI must provide it (.ci/run runs npm ci in jstest/)", what)
		}
		t.Skipf("%s; run `npm ci` in jstest/ to run the JavaScript SDK suite", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "@azure", "cosmos", "package.json")); err != nil {
		missing("@azure/cosmos is not installed in jstest/node_modules")
	}
	return node
}

// startServer serves an in-memory server over HTTPS on a random loopback
// port until the test ends, and returns its endpoint. New containers get
// two physical partitions, so cross-range paths (change feed of all ranges,
// feed ranges, bulk grouping by range) are exercised.
func startServer(t *testing.T) string {
	t.Helper()
	srv, err := cosmosemu.New(cosmosemu.Config{DefaultPartitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := cosmosemu.Certificate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() }) // runs after the listener stops
	return "https://" + cosmostest.ServeLoopback(t, srv, cert) + "/"
}
