package querybench_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"orderctx/queryapi/querybench"
)

// TestRunSmall runs the whole benchmark on a few orders: every scenario
// answers without errors and the report is filled.
func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	rep, err := querybench.Run(context.Background(), querybench.Config{Orders: 300, Clients: 2, LatencyClients: 1, Duration: 100 * time.Millisecond, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if rep.Get.Requests == 0 || rep.List.Requests == 0 || rep.Hello.Requests == 0 || rep.LightList.Requests == 0 || rep.ColdStart <= 0 || rep.HeapPerOrder <= 0 || len(rep.ListByTemplate) != 5 {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(out.String(), "| GET /orders/{id} |") {
		t.Fatalf("table:\n%s", out.String())
	}
}

// BenchmarkQueryAPI runs the benchmark once (use -benchtime 1x) with
// QUERYBENCH_ORDERS orders (default 100,000) and QUERYBENCH_SECONDS per
// scenario (default 5), printing the table and reporting its key numbers.
func BenchmarkQueryAPI(b *testing.B) {
	orders, seconds := envInt("QUERYBENCH_ORDERS", 100_000), envInt("QUERYBENCH_SECONDS", 5)
	for i := 0; i < b.N; i++ {
		rep, err := querybench.Run(context.Background(), querybench.Config{Orders: orders, Duration: time.Duration(seconds) * time.Second, Out: os.Stdout})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.GetToHello(), "get/hello")
		b.ReportMetric(float64(rep.Get.P99.Microseconds())/1000, "get-p99-ms")
		b.ReportMetric(float64(rep.List.P99.Microseconds())/1000, "list-p99-ms")
		b.ReportMetric(float64(rep.LightGet.P99.Microseconds())/1000, "get-p99-ms@2")
		b.ReportMetric(float64(rep.LightList.P99.Microseconds())/1000, "list-p99-ms@2")
		b.ReportMetric(rep.ColdStart.Seconds(), "coldstart-s")
		b.ReportMetric(rep.HeapPerOrder, "heap-B/order")
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
