package benchkit

import (
	"os"
	"runtime"
	"strings"
)

// Machine describes where a benchmark ran, for reports that are compared
// later: the shared machine's load is part of every figure.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpuModel"`
	GoVersion string `json:"goVersion"`
	OS        string `json:"os"`
	// LoadAverage is /proc/loadavg's 1, 5 and 15 minute figures.
	LoadAverage string `json:"loadAverage"`
}

// ThisMachine describes this machine now.
func ThisMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), CPUModel: cpuModel(), GoVersion: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, LoadAverage: LoadAverage()}
}

// LoadAverage is the 1, 5 and 15 minute load averages ("0.52 0.80 1.02"),
// empty where /proc/loadavg is not readable.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
