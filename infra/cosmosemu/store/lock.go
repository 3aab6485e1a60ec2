package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// LockFile is the file in a data directory that the process serving the
// directory holds an exclusive lock on (where the system has flock);
// others (orderctx verify) check it.
const LockFile = "cosmos.lock"

// lockDir takes the data directory's lock, waiting for a process that
// holds it to end (a store restarted right after a kill -9 gets it as soon
// as the old process is gone). Two processes appending to one log would
// corrupt it.
func lockDir(dir string, log *slog.Logger) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the data directory's lock: %w", err)
	}
	if err := lockExclusive(f, func() {
		log.Warn("cosmos store: another process has the data directory open; waiting for it to end", "dir", dir)
	}); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	return f, nil
}
