// Package gctune sets the garbage collector of the processes that keep data
// in memory and allocate per request (orderctx cosmos, commandapi with the
// embedded store, dev): collect at 4x the live heap instead of Go's 2x,
// which cut the collector's share of their CPU (docs/benchmarks.md), but
// never let that headroom carry the heap past half of the machine's
// memory: near that soft limit the collector runs as often as it must.
package gctune

import (
	"bufio"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// gcPercent is GOGC for processes whose heap is mostly data kept in memory.
const gcPercent = 400

// ForInMemoryData applies the settings unless GOGC or GOMEMLIMIT say
// otherwise (each is left to the runtime when set).
func ForInMemoryData() {
	percent, limit := settings(os.Getenv, machineMemory())
	if percent > 0 {
		debug.SetGCPercent(percent)
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}

// settings returns the GC percent and the soft memory limit to set, 0 for
// either that the environment sets itself or that cannot be known.
func settings(getenv func(string) string, memory int64) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		percent = gcPercent
	}
	if getenv("GOMEMLIMIT") == "" && memory > 0 {
		limit = memory / 2
	}
	return percent, limit
}

// machineMemory is the memory this process may use: the machine's, or its
// control group's limit when lower (a container); 0 when unknown.
func machineMemory() int64 {
	total := readMemTotal("/proc/meminfo")
	if cg := readCgroupMax("/sys/fs/cgroup/memory.max"); cg > 0 && (total == 0 || cg < total) {
		total = cg
	}
	return total
}

func readMemTotal(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	return parseMemTotal(f)
}

// parseMemTotal reads MemTotal (kB) from /proc/meminfo's text, in bytes.
func parseMemTotal(r io.Reader) int64 {
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		rest, ok := strings.CutPrefix(lines.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil || kb <= 0 {
			return 0
		}
		return kb * 1024
	}
	return 0
}

func readCgroupMax(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return parseCgroupMax(string(b))
}

// parseCgroupMax reads cgroup v2's memory.max: bytes, or "max" for none.
func parseCgroupMax(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}
