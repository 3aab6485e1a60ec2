// Package viewstore keeps order views in a views container (partitioned
// on /id, id = order id). It implements projector.Views: reads with etags,
// creates, and replaces conditioned on an etag. Store works on one
// container; Routed on whichever container the views pointer names as
// active (infra/viewpointer), which `orderctx rebuild views` switches.
package viewstore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/domain/es"
	"orderctx/domain/orderview"
	"orderctx/functions/projector"
	"orderctx/infra/cosmosdb"
)

// Store is the Cosmos DB view store.
type Store struct {
	views *azcosmos.ContainerClient
}

var _ projector.Views = (*Store)(nil)

// New returns a store of the original views container, cosmosdb.Views.
func New(conn *cosmosdb.Conn) *Store {
	return NewIn(conn, cosmosdb.Views)
}

// NewIn returns a store of the named views container (a rebuild's new
// generation, say views-2).
func NewIn(conn *cosmosdb.Conn, container string) *Store {
	return &Store{views: conn.Container(container)}
}

// storedDoc is a view document as read, with its system etag.
type storedDoc struct {
	orderview.View
	ETag string `json:"_etag"`
}

// Get implements projector.Views: a point read for one id, else the SDK's
// read-many (one query per physical partition, in parallel).
func (s *Store) Get(ctx context.Context, ids []string) (map[string]projector.Stored, error) {
	out := make(map[string]projector.Stored, len(ids))
	var items [][]byte
	switch len(ids) {
	case 0:
		return out, nil
	case 1:
		resp, err := s.views.ReadItem(ctx, azcosmos.NewPartitionKeyString(ids[0]), ids[0], nil)
		if cosmosdb.StatusCode(err) == http.StatusNotFound {
			return out, nil
		}
		if err != nil {
			return nil, cosmosdb.Translate(err, "read view "+ids[0])
		}
		items = [][]byte{resp.Value}
	default:
		identities := make([]azcosmos.ItemIdentity, len(ids))
		for i, id := range ids {
			identities[i] = azcosmos.ItemIdentity{ID: id, PartitionKey: azcosmos.NewPartitionKeyString(id)}
		}
		resp, err := s.views.ReadManyItems(ctx, identities, nil)
		if err != nil {
			return nil, cosmosdb.Translate(err, fmt.Sprintf("read %d views", len(ids)))
		}
		items = resp.Items
	}
	for _, raw := range items {
		var d storedDoc
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, es.Errorf(es.Internal, "view.unreadable", "a stored view does not decode: %v", err)
		}
		out[d.ID] = projector.Stored{View: d.View, ETag: d.ETag}
	}
	return out, nil
}

// Create implements projector.Views.
func (s *Store) Create(ctx context.Context, v orderview.View) (string, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode view %s: %w", v.ID, err)
	}
	resp, err := s.views.CreateItem(ctx, azcosmos.NewPartitionKeyString(v.ID), body, nil)
	if cosmosdb.StatusCode(err) == http.StatusConflict {
		return "", fmt.Errorf("create view %s: it exists: %w", v.ID, es.ErrConcurrency)
	}
	return string(resp.ETag), cosmosdb.Translate(err, "create view "+v.ID)
}

// Replace implements projector.Views.
func (s *Store) Replace(ctx context.Context, v orderview.View, etag string) (string, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode view %s: %w", v.ID, err)
	}
	match := azcore.ETag(etag)
	resp, err := s.views.ReplaceItem(ctx, azcosmos.NewPartitionKeyString(v.ID), v.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &match})
	switch cosmosdb.StatusCode(err) {
	case http.StatusPreconditionFailed:
		return "", fmt.Errorf("replace view %s: it changed: %w", v.ID, es.ErrConcurrency)
	case http.StatusNotFound:
		return "", fmt.Errorf("replace view %s: it is gone: %w", v.ID, es.ErrConcurrency)
	}
	return string(resp.ETag), cosmosdb.Translate(err, "replace view "+v.ID)
}
