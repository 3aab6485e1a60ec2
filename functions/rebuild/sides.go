package rebuild

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"orderctx/domain/orderview"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/feedreader"
	"orderctx/infra/pgviews"
)

// feedSide is a views container read through its change feed: the first
// sync reads it whole, later ones only what changed since.
type feedSide struct {
	feed   *feedreader.Reader
	digest func(doc []byte) (string, entry, error)
}

func newFeedSide(conn *cosmosdb.Conn, container string, digest func([]byte) (string, entry, error)) *feedSide {
	return &feedSide{feed: feedreader.New(conn, container, 0), digest: digest}
}

func (s *feedSide) sync(ctx context.Context, c census) error {
	for {
		docs, caughtUp, err := s.feed.Next(ctx)
		if err != nil {
			return err
		}
		for _, doc := range docs {
			id, e, err := s.digest(doc)
			if err != nil {
				return err
			}
			c[id] = e
		}
		if caughtUp {
			return nil
		}
	}
}

// pgSide is the PostgreSQL copy, read whole at every sync.
type pgSide struct{ store *pgviews.Store }

func (s pgSide) sync(ctx context.Context, c census) error {
	views, err := s.store.All(ctx)
	if err != nil {
		return err
	}
	clear(c)
	for _, v := range views {
		c[v.ID] = digestView(v)
	}
	return nil
}

// digestView digests a view as the PostgreSQL copy keeps it.
func digestView(v orderview.View) entry {
	raw, _ := json.Marshal(pgviews.AsStored(v))
	return entry{version: v.Version, sum: sha256.Sum256(raw)}
}

// digestViewDocument digests a stored view document the way digestView
// digests a row, for comparing the views with the PostgreSQL copy.
func digestViewDocument(doc []byte) (string, entry, error) {
	var v orderview.View
	if err := json.Unmarshal(doc, &v); err != nil || v.ID == "" {
		return "", entry{}, fmt.Errorf("a views document does not decode (%v): %.100s", err, doc)
	}
	return v.ID, digestView(v), nil
}
