// Package deadletters keeps the events that change-feed consumers parked, in
// the deadletters container (partitioned by consumer name). It implements
// parking.Store.
package deadletters

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/functions/parking"
	"orderctx/infra/cosmosdb"
)

// headsQuery finds the lowest parked version of each of the given streams,
// within one consumer's partition.
const headsQuery = "SELECT c.streamId, MIN(c.version) AS version FROM c " +
	"WHERE ARRAY_CONTAINS(@streams, c.streamId) GROUP BY c.streamId"

// anyParkedQuery finds one letter that holds a stream back, within one
// consumer's partition.
const anyParkedQuery = `SELECT TOP 1 c.id FROM c WHERE c.streamId != ""`

// Store is the Cosmos DB dead-letter store.
type Store struct {
	letters *azcosmos.ContainerClient
}

var _ parking.Store = (*Store)(nil)

// New returns a store over an open connection.
func New(conn *cosmosdb.Conn) *Store {
	return &Store{letters: conn.Container(cosmosdb.DeadLetters)}
}

// Heads implements parking.Store.
func (s *Store) Heads(ctx context.Context, consumer string, streamIDs []string) (map[string]int64, error) {
	if len(streamIDs) == 0 {
		return map[string]int64{}, nil
	}
	pager := s.letters.NewQueryItemsPager(headsQuery, azcosmos.NewPartitionKeyString(consumer), &azcosmos.QueryOptions{
		QueryParameters: []azcosmos.QueryParameter{{Name: "@streams", Value: streamIDs}},
		PageSizeHint:    -1,
	})
	heads := make(map[string]int64)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, cosmosdb.Translate(err, "look up parked streams of "+consumer)
		}
		for _, raw := range page.Items {
			var h struct {
				StreamID string `json:"streamId"`
				Version  int64  `json:"version"`
			}
			if err := json.Unmarshal(raw, &h); err != nil {
				return nil, fmt.Errorf("parked streams of %s: %w", consumer, err)
			}
			heads[h.StreamID] = h.Version
		}
	}
	return heads, nil
}

// AnyParked implements parking.Store.
func (s *Store) AnyParked(ctx context.Context, consumer string) (bool, error) {
	pager := s.letters.NewQueryItemsPager(anyParkedQuery, azcosmos.NewPartitionKeyString(consumer), &azcosmos.QueryOptions{PageSizeHint: 1})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return false, cosmosdb.Translate(err, "look for parked events of "+consumer)
		}
		if len(page.Items) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// Park implements parking.Store: one create per letter; a 409 means the
// letter is already there (a re-delivered batch) and is not an error.
func (s *Store) Park(ctx context.Context, letters []parking.Letter) error {
	for _, l := range letters {
		body, err := json.Marshal(l)
		if err != nil {
			return fmt.Errorf("park %s: %w", l.ID, err)
		}
		_, err = s.letters.CreateItem(ctx, azcosmos.NewPartitionKeyString(l.Consumer), body, nil)
		if err != nil && cosmosdb.StatusCode(err) != http.StatusConflict {
			return cosmosdb.Translate(err, "park "+l.ID)
		}
	}
	return nil
}

// List returns every letter of a consumer, oldest first (then by stream and
// version), for operators and tests.
func (s *Store) List(ctx context.Context, consumer string) ([]parking.Letter, error) {
	pager := s.letters.NewQueryItemsPager("SELECT * FROM c",
		azcosmos.NewPartitionKeyString(consumer), &azcosmos.QueryOptions{PageSizeHint: -1})
	var out []parking.Letter
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, cosmosdb.Translate(err, "list parked events of "+consumer)
		}
		for _, raw := range page.Items {
			var l parking.Letter
			if err := json.Unmarshal(raw, &l); err != nil {
				return nil, fmt.Errorf("parked events of %s: %w", consumer, err)
			}
			out = append(out, l)
		}
	}
	// Sorted here: ordering by several properties would need a composite index.
	slices.SortStableFunc(out, func(a, b parking.Letter) int {
		return cmp.Or(a.ParkedAt.Compare(b.ParkedAt), cmp.Compare(a.StreamID, b.StreamID), cmp.Compare(a.Version, b.Version))
	})
	return out, nil
}
