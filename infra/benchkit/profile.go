package benchkit

import (
	"os"
	"runtime"
	"runtime/pprof"
)

// CPUProfile starts writing this process's CPU profile to path (nothing for
// an empty path); stop ends it and closes the file. The servers' -cpuprofile
// flags use it, so a bench can show where a server's CPU goes.
func CPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// HeapProfile returns a function that writes the heap's live objects to path
// (after a collection, so the profile shows what is kept); nothing when
// path is empty.
func HeapProfile(path string) (write func() error) {
	if path == "" {
		return func() error { return nil }
	}
	return func() error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}
