//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// lockExclusive flocks f, calling waiting first if another process holds it.
func lockExclusive(f *os.File, waiting func()) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		waiting()
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
	}
	return err
}
