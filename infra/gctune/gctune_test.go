package gctune

import (
	"strings"
	"testing"
)

func TestSettingsLeaveWhatTheEnvironmentSets(t *testing.T) {
	t.Parallel()
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, tc := range []struct {
		name      string
		vars      map[string]string
		memory    int64
		percent   int
		softLimit int64
	}{
		{"nothing set", nil, 8 << 30, 400, 4 << 30},
		{"GOGC set", map[string]string{"GOGC": "100"}, 8 << 30, 0, 4 << 30},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 8 << 30, 400, 0},
		{"memory unknown", nil, 0, 400, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			percent, limit := settings(env(tc.vars), tc.memory)
			if percent != tc.percent || limit != tc.softLimit {
				t.Fatalf("settings = %d, %d; want %d, %d", percent, limit, tc.percent, tc.softLimit)
			}
		})
	}
}

func TestMemoryIsReadFromProcAndCgroup(t *testing.T) {
	t.Parallel()
	meminfo := "MemTotal:       24576000 kB\nMemFree:         1000 kB\n"
	if got := parseMemTotal(strings.NewReader(meminfo)); got != 24576000*1024 {
		t.Errorf("MemTotal read as %d", got)
	}
	if got := parseMemTotal(strings.NewReader("MemFree: 1 kB\n")); got != 0 {
		t.Errorf("no MemTotal read as %d", got)
	}
	for in, want := range map[string]int64{"max\n": 0, "2147483648\n": 2 << 30, "junk": 0} {
		if got := parseCgroupMax(in); got != want {
			t.Errorf("memory.max %q read as %d, want %d", in, got, want)
		}
	}
}
