package benchkit

import (
	"fmt"
	"slices"
	"time"
)

// Summary describes a set of latencies.
type Summary struct {
	Count              int
	P50, P95, P99, Max time.Duration
	Mean               time.Duration
}

// Summarize sorts lat in place and summarizes it; the p-th percentile is the
// sample at rank (n-1)·p, as every bench of the project has reported it.
func Summarize(lat []time.Duration) Summary {
	if len(lat) == 0 {
		return Summary{}
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return Summary{Count: len(lat), P50: Percentile(lat, 0.50), P95: Percentile(lat, 0.95), P99: Percentile(lat, 0.99),
		Max: lat[len(lat)-1], Mean: sum / time.Duration(len(lat))}
}

// Percentile is the p-th percentile (0 ≤ p ≤ 1) of sorted latencies, 0 for none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p)]
}

// Millis is d in milliseconds with two decimals, for tables ("1.25 ms").
func Millis(d time.Duration) string { return fmt.Sprintf("%.2f ms", MillisOf(d)) }

// MillisOf is d in milliseconds, to the microsecond, for JSON reports.
func MillisOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Micros is d in microseconds.
func Micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
