package funcapp_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"orderctx/functions/funcapp"
)

// noEnv is a getenv with nothing set.
func noEnv(string) string { return "" }

// env is a getenv over a map.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// The repository root is the Functions app checked in with the product.
func TestCheckedInAppIsValid(t *testing.T) {
	t.Parallel()
	app, err := funcapp.Load("../..", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	h := app.Host
	if h.Version != "2.0" || h.ExtensionBundle.ID != "Microsoft.Azure.Functions.ExtensionBundle" || h.ExtensionBundle.Version != "[4.*, 5.0.0)" {
		t.Errorf("host.json version/bundle: %+v", h)
	}
	d := h.CustomHandler.Description
	if d.DefaultExecutablePath != "orderctx" || !slices.Equal(d.Arguments, []string{"functions"}) || h.CustomHandler.EnableForwardingHTTPRequest {
		t.Errorf("customHandler: %+v", h.CustomHandler)
	}
	if h.CosmosDBConnectionMode != "Gateway" || h.FunctionTimeout != 5*time.Minute {
		t.Errorf("connection mode %q, function timeout %s", h.CosmosDBConnectionMode, h.FunctionTimeout)
	}
	var names []string
	for _, fn := range app.Functions {
		names = append(names, fn.Name)
	}
	if want := []string{"CopyOrdersToPostgres", "ProjectOrders", "PublishIntegrationEvents", "SnapshotOrders"}; !slices.Equal(names, want) {
		t.Fatalf("functions %v, want %v", names, want)
	}
	prefixes := map[string]bool{}
	for _, fn := range app.Functions {
		tr := fn.Trigger
		if tr.Name != "documents" || tr.Connection != "CosmosDB" || tr.LeaseConnection != "CosmosDB" ||
			tr.DatabaseName != "orderctx" || tr.ContainerName != "events" || tr.LeaseDatabaseName != "orderctx" || tr.LeaseContainerName != "leases" {
			t.Errorf("%s: trigger %+v", fn.Name, tr)
		}
		if !tr.StartFromBeginning || tr.CreateLeaseContainerIfNotExists || tr.MaxItemsPerInvocation <= 0 || tr.LeaseContainerPrefix == "" {
			t.Errorf("%s: start/lease/batch settings %+v", fn.Name, tr)
		}
		prefixes[tr.LeaseContainerPrefix] = true
		want := funcapp.RetryPolicy{Strategy: funcapp.ExponentialBackoff, MaxRetryCount: funcapp.Forever, MinimumInterval: 2 * time.Second, MaximumInterval: 5 * time.Minute}
		if fn.Retry == nil || *fn.Retry != want {
			t.Errorf("%s: retry %+v, want %+v", fn.Name, fn.Retry, want)
		}
	}
	if len(prefixes) != len(app.Functions) {
		t.Errorf("lease prefixes are not distinct: %v", prefixes)
	}
	if fn := app.Function("projectorders"); fn == nil || !strings.Contains(fn.Name, "Project") {
		t.Errorf("lookup by name in any case: %v", fn)
	}
}

// writeApp lays out an app in a temporary folder: file path -> content.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const hostJSON = `{"version":"2.0","extensionBundle":{"id":"Microsoft.Azure.Functions.ExtensionBundle","version":"[4.*, 5.0.0)"},
	"customHandler":{"description":{"defaultExecutablePath":"orderctx","arguments":["functions"]}}}`

const retryJSON = `"retry":{"strategy":"fixedDelay","maxRetryCount":-1,"delayInterval":"00:00:10"}`

func TestTriggerDefaults(t *testing.T) {
	t.Parallel()
	root := writeApp(t, map[string]string{"host.json": hostJSON,
		"F/function.json": `{"bindings":[{"type":"cosmosDBTrigger","direction":"in","name":"docs","databaseName":"db","containerName":"c"}],` + retryJSON + `}`})
	app, err := funcapp.Load(root, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	got := app.Functions[0].Trigger
	want := funcapp.CosmosDBTrigger{Name: "docs", Connection: "CosmosDB", LeaseConnection: "CosmosDB", DatabaseName: "db", ContainerName: "c",
		LeaseDatabaseName: "db", LeaseContainerName: "leases", FeedPollDelay: 5 * time.Second, LeaseAcquireInterval: 13 * time.Second,
		LeaseExpirationInterval: 60 * time.Second, LeaseRenewInterval: 17 * time.Second, MaxItemsPerInvocation: 100}
	if !equalTriggers(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if r := app.Functions[0].Retry; r.Strategy != funcapp.FixedDelay || r.DelayInterval != 10*time.Second || r.MaxRetryCount != -1 {
		t.Errorf("retry %+v", r)
	}
	if app.Host.FunctionTimeout != 0 || app.Host.CosmosDBConnectionMode != "" {
		t.Errorf("host defaults %+v", app.Host)
	}
}

// equalTriggers compares field by field (times by instant).
func equalTriggers(a, b funcapp.CosmosDBTrigger) bool {
	if !a.StartFromTime.Equal(b.StartFromTime) {
		return false
	}
	a.StartFromTime, b.StartFromTime = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func TestEveryPropertyIsRead(t *testing.T) {
	t.Parallel()
	root := writeApp(t, map[string]string{"host.json": hostJSON,
		"F/function.json": `{"bindings":[{"Type":"CosmosDBTrigger","direction":"in","name":"docs","connection":"Mon","databaseName":"%DB%",
			"containerName":"c-%ENV%","leaseConnection":"Lease","leaseDatabaseName":"ldb","leaseContainerName":"l","createLeaseContainerIfNotExists":true,
			"leasesContainerThroughput":400,"leaseContainerPrefix":"p.","feedPollDelay":250,"leaseAcquireInterval":1000,"leaseExpirationInterval":9000,
			"leaseRenewInterval":3000,"maxItemsPerInvocation":7,"startFromTime":"2021-02-16T14:19:29Z","preferredLocations":"West Europe, North Europe"}],` + retryJSON + `}`})
	app, err := funcapp.Load(root, env(map[string]string{"DB": "orders", "ENV": "prod"}))
	if err != nil {
		t.Fatal(err)
	}
	want := funcapp.CosmosDBTrigger{Name: "docs", Connection: "Mon", LeaseConnection: "Lease", DatabaseName: "orders", ContainerName: "c-prod",
		LeaseDatabaseName: "ldb", LeaseContainerName: "l", LeaseContainerPrefix: "p.", CreateLeaseContainerIfNotExists: true, LeasesContainerThroughput: 400,
		FeedPollDelay: 250 * time.Millisecond, LeaseAcquireInterval: time.Second, LeaseExpirationInterval: 9 * time.Second, LeaseRenewInterval: 3 * time.Second,
		MaxItemsPerInvocation: 7, StartFromTime: time.Date(2021, 2, 16, 14, 19, 29, 0, time.UTC), PreferredLocations: []string{"West Europe", "North Europe"}}
	if got := app.Functions[0].Trigger; !equalTriggers(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	root := writeApp(t, map[string]string{
		"host.json": `{"version":"1.0","customHandler":{"description":{}},"extensions":{"cosmosDB":{"connectionMode":"Tcp"}}}`,
		"Bad/function.json": `{"bindings":[{"type":"cosmosDBTrigger","direction":"out","name":"1docs","collectionName":"c","leaseCollectionPrefix":"x",
			"checkpointInterval":5,"typo":1,"databaseName":"%MISSING%","leaseContainerName":"events","containerName":"events","feedPollDelay":-1,
			"startFromBeginning":true,"startFromTime":"yesterday","leaseRenewInterval":70000}],
			"retry":{"strategy":"linear","maxRetryCount":-2,"minimumInterval":"soon"}}`,
		"NoRetry/function.json":  `{"bindings":[{"type":"cosmosDBTrigger","direction":"in","name":"d","databaseName":"db","containerName":"c"}]}`,
		"TwoInOne/function.json": `{"bindings":[{"type":"queueTrigger"},{"type":"cosmosDBTrigger","direction":"in","name":"d","databaseName":"db","containerName":"c"},{"type":"cosmosDBTrigger"}],` + retryJSON + `}`,
		"Broken/function.json":   `{"bindings":`,
		"NotAFunction/readme.md": "no function.json here",
	})
	_, err := funcapp.Load(root, noEnv)
	if err == nil {
		t.Fatal("loaded an invalid app")
	}
	for _, want := range []string{
		`host.json: version is "1.0"`,
		"host.json: extensionBundle: id and version are required",
		"host.json: customHandler.description.defaultExecutablePath: missing",
		`host.json: extensions.cosmosDB.connectionMode is "Tcp"`,
		`Bad/function.json: bindings[0]: direction is "out"`,
		"Bad/function.json: bindings[0]: collectionName is the Cosmos DB extension 3.x name; 4.x reads containerName",
		"Bad/function.json: bindings[0]: leaseCollectionPrefix is the Cosmos DB extension 3.x name; 4.x reads leaseContainerPrefix",
		"Bad/function.json: bindings[0]: checkpointInterval was removed",
		"Bad/function.json: bindings[0]: typo is not a property",
		"Bad/function.json: bindings[0]: databaseName refers to app setting MISSING, which is not set",
		`Bad/function.json: bindings[0]: startFromTime "yesterday"`,
		"Bad/function.json: bindings[0]: feedPollDelay is -1",
		"Bad/function.json: retry.minimumInterval:",
		"NoRetry/function.json: retry: missing",
		`NoRetry/function.json: "NoRetry"`, // not an error: the name is fine
		"TwoInOne/function.json: bindings[0]: type \"queueTrigger\"",
		"TwoInOne/function.json: 2 cosmosDBTrigger bindings",
		"Broken/function.json: unexpected end of JSON input",
	} {
		if want == `NoRetry/function.json: "NoRetry"` {
			if strings.Contains(err.Error(), want) {
				t.Errorf("a valid function name was refused: %v", err)
			}
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestValidationOfParsedFunctions(t *testing.T) {
	t.Parallel()
	fn := func(name, trigger, retry string) string {
		return `{"bindings":[{"type":"cosmosDBTrigger","direction":"in","name":"` + name + `","databaseName":"db","containerName":"c"` + trigger + `}],"retry":` + retry + `}`
	}
	root := writeApp(t, map[string]string{"host.json": hostJSON,
		"Lease/function.json":   fn("d", `,"leaseContainerName":"C"`, `{"strategy":"exponentialBackoff","maxRetryCount":-2,"minimumInterval":"00:01:00","maximumInterval":"00:00:10"}`),
		"Both/function.json":    fn("d", `,"startFromBeginning":true,"startFromTime":"2021-02-16T14:19:29Z","leaseRenewInterval":60000`, `{"strategy":"fixedDelay"}`),
		"Prefix1/function.json": fn("d", `,"leaseContainerPrefix":"proj"`, `{"strategy":"fixedDelay","maxRetryCount":1,"delayInterval":"00:00:01"}`),
		"Prefix2/function.json": fn("d", `,"leaseContainerPrefix":"projector"`, `{"strategy":"fixedDelay","maxRetryCount":1,"delayInterval":"00:00:01"}`),
		"1st/function.json":     fn("bad-name", "", `{"strategy":"fixedDelay","maxRetryCount":1,"delayInterval":"00:00:01"}`),
	})
	_, err := funcapp.Load(root, noEnv)
	if err == nil {
		t.Fatal("loaded an invalid app")
	}
	for _, want := range []string{
		"Lease/function.json: the monitored container c cannot also hold the leases",
		"Lease/function.json: retry.maxRetryCount is -2",
		"Lease/function.json: retry.minimumInterval 1m0s is greater than retry.maximumInterval 10s",
		"Both/function.json: only one of startFromBeginning and startFromTime",
		"Both/function.json: leaseRenewInterval 1m0s must be shorter than leaseExpirationInterval 1m0s",
		"Both/function.json: retry.maxRetryCount: missing",
		"Both/function.json: retry.delayInterval: fixedDelay needs a positive interval",
		`functions Prefix1 and Prefix2 share lease container leases with overlapping leaseContainerPrefix "proj" and "projector"`,
		`1st/function.json: "1st" is not a valid function name`,
		`1st/function.json: trigger name "bad-name" is not a valid binding name`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestAppWithoutFunctions(t *testing.T) {
	t.Parallel()
	if _, err := funcapp.Load(writeApp(t, map[string]string{"host.json": hostJSON}), noEnv); err == nil || !strings.Contains(err.Error(), "no function") {
		t.Fatalf("error %v", err)
	}
	if _, err := funcapp.Load(filepath.Join(t.TempDir(), "absent"), noEnv); err == nil {
		t.Fatal("loaded a missing folder")
	}
}

func TestRootFromEnv(t *testing.T) {
	t.Parallel()
	if got := funcapp.RootFromEnv(env(map[string]string{"FUNCTIONS_APP_ROOT_PATH": "/home/site/wwwroot"})); got != "/home/site/wwwroot" {
		t.Errorf("root %q", got)
	}
	if got := funcapp.RootFromEnv(noEnv); got != "." {
		t.Errorf("root %q", got)
	}
}

func TestParseTimeSpan(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00:02", 2 * time.Second, true},
		{"00:05:00", 5 * time.Minute, true},
		{"01:02", time.Hour + 2*time.Minute, true},
		{"1.02:03:04", 26*time.Hour + 3*time.Minute + 4*time.Second, true},
		{"00:00:00.5", 500 * time.Millisecond, true},
		{"00:00:01.0000001", time.Second + 100*time.Nanosecond, true},
		{"2", 48 * time.Hour, true},
		{"-00:00:01", -time.Second, true},
		{" 00:00:03 ", 3 * time.Second, true},
		{"", 0, false},
		{"5s", 0, false},
		{"00:60:00", 0, false},
		{"24:00:00", 0, false},
		{"00:00:01.12345678", 0, false},
		{"1:2:3:4", 0, false},
		{"x.00:00:01", 0, false},
	}
	for _, c := range cases {
		got, err := funcapp.ParseTimeSpan(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseTimeSpan(%q) = %s, %v; want %s, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
