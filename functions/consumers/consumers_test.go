package consumers_test

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"orderctx/functions/consumers"
	"orderctx/functions/funcapp"
	"orderctx/functions/publisher/contracts"
	"orderctx/infra/cosmosdb/cosmosdbtest"
	"orderctx/infra/pgviews/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type nullBus struct{}

func (nullBus) Publish(context.Context, []contracts.Message) error { return nil }

// TestOneConsumerPerFunctionFolder: with or without a PostgreSQL database,
// Build supplies a consumer for every function folder of the app (the host
// refuses an app with one missing), and the copy reports parked events
// only when it runs.
func TestOneConsumerPerFunctionFolder(t *testing.T) {
	t.Parallel()
	app, err := funcapp.Load("../..", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, fn := range app.Functions {
		folders = append(folders, fn.Name)
	}
	conn := cosmosdbtest.Embedded(t, 1)
	for _, tc := range []struct {
		name string
		env  map[string]string
		copy bool
	}{
		{"no database", map[string]string{}, false},
		{"a database from the environment", map[string]string{"ORDERCTX_POSTGRES_DSN": pgtest.DSN(t)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := consumers.Build(consumers.Config{Conn: conn, Bus: nullBus{}, Getenv: func(k string) string { return tc.env[k] }})
			if err != nil {
				t.Fatal(err)
			}
			defer set.Close()
			var names []string
			for name := range set.Consumers {
				names = append(names, name)
			}
			sort.Strings(names)
			if !slices.Equal(names, folders) {
				t.Fatalf("consumers %v, folders %v", names, folders)
			}
			if _, reported := set.Parked()[consumers.CopyOrdersToPostgres]; reported != tc.copy {
				t.Fatalf("the copy reports parked events: %v, want %v", reported, tc.copy)
			}
			if reason, off := set.Off[consumers.CopyOrdersToPostgres]; off == tc.copy || off && !strings.Contains(reason, "ORDERCTX_POSTGRES_DSN") {
				t.Fatalf("the copy is off: %v (%q), want %v, naming the setting", off, reason, !tc.copy)
			}
			if len(set.Off) > 1 {
				t.Fatalf("functions off: %v; only the copy may be", set.Off)
			}
			res, err := set.Consumers[consumers.CopyOrdersToPostgres].Handle(context.Background(), []json.RawMessage{})
			if err != nil || len(res.Logs) == 0 && !tc.copy {
				t.Fatalf("an empty batch: %+v, %v", res, err)
			}
		})
	}
}
