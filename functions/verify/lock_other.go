//go:build !unix

package verify

import (
	"fmt"
	"os"
	"path/filepath"

	"orderctx/infra/cosmosemu/store"
)

// embeddedAvailable checks that dir holds an embedded store (whether another
// process has it open is not checked on this system).
func embeddedAvailable(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, store.LockFile)); err != nil && !isFile(filepath.Join(dir, store.LegacyFile)) {
		return fmt.Errorf("no embedded store in %s: %w", dir, err)
	}
	return nil
}

func isFile(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
