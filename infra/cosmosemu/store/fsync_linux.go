package store

import (
	"os"
	"syscall"
)

// fdatasync flushes file data (and the size, when it grew) without other
// metadata: the cheapest call that makes an append durable on Linux.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
