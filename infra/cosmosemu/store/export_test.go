package store

import "time"

// WithLogTuning sets the write-ahead log's segment size and checkpoint
// interval, so tests can make segments seal within a few writes.
func WithLogTuning(o Options, segmentLimit int64, checkpointEvery time.Duration) Options {
	o.log = walTuning{segmentLimit: segmentLimit, checkpointInterval: checkpointEvery}
	return o
}
