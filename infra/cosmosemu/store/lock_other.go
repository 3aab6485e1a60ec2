//go:build !unix

package store

import "os"

// lockExclusive does nothing: this system has no flock, so a second
// process on the same directory is not kept out.
func lockExclusive(*os.File, func()) error { return nil }
