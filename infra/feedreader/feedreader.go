// Package feedreader follows the whole change feed of one container from its
// beginning, over every feed range, keeping its position in memory. It needs
// no lease because every reader reads everything: a process that keeps a
// full copy of a container (the query API's read models) starts from the
// beginning at every start and converges to the same state as any other
// reader. Range splits are handled by the SDK's composite continuation.
package feedreader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosdb"
)

// DefaultPageSize is the most documents one Next returns unless told otherwise.
const DefaultPageSize = 1000

// Reader reads one container's change feed, latest version of each item,
// from the beginning. It is not safe for concurrent use: one goroutine
// follows one feed.
type Reader struct {
	container    *azcosmos.ContainerClient
	name         string
	pageSize     int32
	continuation string
	whole        *azcosmos.FeedRange
}

// New returns a reader of the named container of conn; pageSize 0 means
// DefaultPageSize.
func New(conn *cosmosdb.Conn, container string, pageSize int) *Reader {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	return &Reader{container: conn.Container(container), name: container, pageSize: int32(min(pageSize, 1<<30))}
}

// Next returns the next page of changed documents. caughtUp says the reader
// has reached the feed's head as of this call: the page is empty (every feed
// range answered "nothing new"), or the feed has one range and the page is
// shorter than the page size, so these documents were the last (a follower
// then need not read again at once only to find nothing). Errors leave the
// position where it was, so the caller retries by calling Next again.
func (r *Reader) Next(ctx context.Context) (docs [][]byte, caughtUp bool, err error) {
	opts := &azcosmos.ChangeFeedOptions{MaxItemCount: r.pageSize}
	if r.continuation != "" {
		cont := r.continuation
		opts.Continuation = &cont
	} else {
		if r.whole == nil {
			if r.whole, err = r.wholeRange(ctx); err != nil {
				return nil, false, err
			}
		}
		opts.FeedRange = r.whole
	}
	resp, err := r.container.ReadChangeFeed(ctx, opts)
	if err != nil {
		return nil, false, r.describe(err)
	}
	if resp.ContinuationToken != "" {
		r.continuation = resp.ContinuationToken
	}
	n := len(resp.Items)
	return resp.Items, n == 0 || n < int(r.pageSize) && oneRange(r.continuation), nil
}

// oneRange says whether a continuation covers a single feed range. The SDK
// reads one range per call, rotating through the ranges of its composite
// token (a JSON object listing them under "continuation"), so a short page
// says nothing about the other ranges. A token that does not read as one
// counts as several: the caller then reads again, as it always could.
func oneRange(token string) bool {
	var t struct {
		Continuation []json.RawMessage `json:"continuation"`
	}
	return json.Unmarshal([]byte(token), &t) == nil && len(t.Continuation) == 1
}

// wholeRange is the feed range that covers every partition key range.
func (r *Reader) wholeRange(ctx context.Context) (*azcosmos.FeedRange, error) {
	ranges, err := r.container.ReadFeedRanges(ctx, nil)
	if err != nil {
		return nil, r.describe(err)
	}
	if len(ranges) == 0 {
		return nil, fmt.Errorf("change feed of %s: the container has no feed ranges", r.name)
	}
	return &azcosmos.FeedRange{MinInclusive: ranges[0].MinInclusive, MaxExclusive: ranges[len(ranges)-1].MaxExclusive}, nil
}

// describe turns an SDK error into a plain one that names the container and
// the status, so no SDK type leaves this package.
func (r *Reader) describe(err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return fmt.Errorf("change feed of %s: the store answered %d (%s)", r.name, re.StatusCode, re.ErrorCode)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("change feed of %s: %w", r.name, err)
}
