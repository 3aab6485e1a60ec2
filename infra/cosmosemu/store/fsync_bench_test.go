//go:build linux

package store

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkGroupSync compares what one group commit's write + fdatasync
// costs when it grows the file and when it overwrites preallocated zeros,
// the reason log segments are preallocated. cpu-µs/op is the process's CPU
// time (user + system) per commit; ns/op is wall time.
func BenchmarkGroupSync(b *testing.B) {
	group := make([]byte, 9*1100) // a typical group: ~9 creates of ~1 KB
	for _, prealloc := range []bool{false, true} {
		name := "append"
		if prealloc {
			name = "preallocated"
		}
		b.Run(name, func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "seg"), os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if prealloc {
				size := int64(b.N+1) * int64(len(group))
				for off := int64(0); off < size; off += int64(len(zeroBlock)) {
					if _, err := f.WriteAt(zeroBlock[:min(int64(len(zeroBlock)), size-off)], off); err != nil {
						b.Fatal(err)
					}
				}
				if err := fdatasync(f); err != nil {
					b.Fatal(err)
				}
			}
			cpu0 := processCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.Write(group); err != nil {
					b.Fatal(err)
				}
				if err := fdatasync(f); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
