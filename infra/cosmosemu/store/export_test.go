package store

import "time"

// WithLogTuning sets the write-ahead log's segment size and checkpoint
// interval, so tests can make segments seal within a few writes.
func WithLogTuning(o Options, segmentLimit int64, checkpointEvery time.Duration) Options {
	o.log = walTuning{segmentLimit: segmentLimit, checkpointInterval: checkpointEvery}
	return o
}

// WithHooks sets test hooks: beforeSync runs on the log writer after a group
// of writes is logged (and visible in memory) and before it is synced;
// awaiting runs when an answer starts waiting for durability.
func WithHooks(o Options, beforeSync, awaiting func()) Options {
	o.hooks = hooks{beforeSync: beforeSync, awaiting: awaiting}
	return o
}
