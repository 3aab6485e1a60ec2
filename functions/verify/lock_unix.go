//go:build unix

package verify

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"orderctx/infra/cosmosemu/store"
)

// embeddedAvailable checks that dir holds an embedded store that no other
// process has open. The store's lock file is locked by whoever runs it (orderctx
// dev, funchost, cosmos), and opening it again would wait for that process
// to end; verify says so instead.
func embeddedAvailable(dir string) error {
	path := filepath.Join(dir, store.LockFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, store.LegacyFile)); err == nil {
			return nil // a store of the earlier format, converted when verify opens it
		}
		return fmt.Errorf("no embedded store in %s (-data names the data directory; COSMOS_ENDPOINT a remote store)", dir)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("the embedded store in %s is in use by another process: stop it, or verify through its endpoint "+
			"(orderctx dev -emulator serves https://localhost:8081; then COSMOS_ENDPOINT and NATS_URL)", dir)
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
