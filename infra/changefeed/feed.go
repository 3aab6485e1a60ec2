package changefeed

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// feedReader reads one page of one feed range through the SDK's
// ReadChangeFeed. A lease's range is handed to the SDK as a composite
// continuation token of one entry (the SDK's own token format: version,
// container resource id, and [min, max) with the ETag to continue from),
// so the SDK routes it and follows a split: on 410/1002 it refreshes its
// routing map and replaces the entry by one per child range, each inheriting
// the ETag. A token that comes back with more than one entry therefore says
// the range split; the worker then hands the lease on to the children
// instead of delivering from one child under the parent's lease.
type feedReader struct {
	c       *azcosmos.ContainerClient
	rid     string
	max     int32
	fromNow bool       // a range without a continuation starts at the end of its feed
	since   *time.Time // or at changes made at or after this time
}

// page is one response of a range's change feed.
type page struct {
	docs     []json.RawMessage
	next     string      // the ETag to continue from after this page
	children []feedRange // set instead of the rest when the range has split
	session  uint64      // the session token's LSN: how far the range's feed goes
}

// compositeToken is the SDK's change feed continuation format
// (azcosmos compositeContinuationToken, version 1).
type compositeToken struct {
	Version      int          `json:"version"`
	ResourceID   string       `json:"resourceId"`
	Continuation []tokenRange `json:"continuation"`
}

type tokenRange struct {
	Min          string  `json:"minInclusive"`
	Max          string  `json:"maxExclusive"`
	Continuation *string `json:"continuationToken,omitempty"`
}

// read returns the page of range r after position from ("" = where the
// options say a new lease starts).
func (f *feedReader) read(ctx context.Context, r feedRange, from string) (page, error) {
	opts := &azcosmos.ChangeFeedOptions{MaxItemCount: f.max}
	entry := tokenRange{Min: r.Min, Max: r.Max}
	switch {
	case from != "":
		entry.Continuation = &from
	case f.fromNow:
		now := "*" // If-None-Match: * starts at the current end of the feed
		entry.Continuation = &now
	case f.since != nil:
		opts.StartFrom = f.since
	}
	tok, err := json.Marshal(compositeToken{Version: 1, ResourceID: f.rid, Continuation: []tokenRange{entry}})
	if err != nil {
		return page{}, err
	}
	s := string(tok)
	opts.Continuation = &s
	resp, err := f.c.ReadChangeFeed(ctx, opts)
	if err != nil {
		return page{}, fmt.Errorf("read change feed of %s: %w", r.token(), err)
	}
	var next compositeToken
	if err := json.Unmarshal([]byte(resp.ContinuationToken), &next); err != nil || len(next.Continuation) == 0 {
		return page{}, fmt.Errorf("read change feed of %s: continuation %q: %v", r.token(), resp.ContinuationToken, err)
	}
	if len(next.Continuation) > 1 {
		pg := page{}
		for _, c := range next.Continuation {
			pg.children = append(pg.children, feedRange{Min: c.Min, Max: c.Max})
		}
		return pg, nil
	}
	pg := page{next: from, docs: make([]json.RawMessage, len(resp.Items))}
	if c := next.Continuation[0].Continuation; c != nil {
		pg.next = *c
	}
	for i, it := range resp.Items {
		pg.docs[i] = it
	}
	if resp.RawResponse != nil {
		pg.session = sessionLSN(resp.RawResponse.Header.Get("x-ms-session-token"))
	}
	return pg, nil
}

// sessionLSN extracts the global LSN from a session token
// ("<range>:<version>#<globalLSN>[#<region>=<lsn>...]"); 0 if it has none.
func sessionLSN(token string) uint64 {
	token, _, _ = strings.Cut(token, ",")
	_, rest, ok := strings.Cut(token, ":")
	if !ok {
		return 0
	}
	parts := strings.Split(rest, "#")
	if len(parts) < 2 {
		return 0
	}
	n, _ := strconv.ParseUint(parts[1], 10, 64)
	return n
}
