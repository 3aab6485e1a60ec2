// Package viewpointer keeps the document that names the active views
// container: the one the projector writes and the query API serves.
// `orderctx rebuild views` fills a new generation (views-2, views-3, ...)
// beside the live one and then switches this pointer; every component
// resolves the container through it, so nothing is configured twice.
//
// The pointer is one small document in the leases container (partitioned on
// /id, present wherever the Functions trigger runs), so a rebuild needs no
// new container in Azure:
//
//	{"id": "orderctx.meta.views", "container": "views-2", "switchedAt": "...", "previous": "views"}
//
// No document means the original container, cosmosdb.Views. A switch is
// conditioned on the pointer it replaces (create, or replace with If-Match),
// so two switches cannot both win.
package viewpointer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"orderctx/domain/es"
	"orderctx/infra/cosmosdb"
)

// DocumentID is the pointer's id in the leases container. Ids starting with
// "orderctx.meta." are this project's coordination documents; no lease
// prefix may start with it.
const DocumentID = "orderctx.meta.views"

// ErrChanged is returned by Switch when the pointer is no longer the one
// read: another switch came first.
var ErrChanged = errors.New("the views pointer changed since it was read")

// Pointer is the pointer as read.
type Pointer struct {
	// Container is the active views container.
	Container string
	// Previous is the container it replaced ("" before any switch).
	Previous   string
	SwitchedAt time.Time
	etag       string // "" when no document exists
}

type document struct {
	ID         string    `json:"id"`
	Container  string    `json:"container"`
	Previous   string    `json:"previous,omitempty"`
	SwitchedAt time.Time `json:"switchedAt"`
	ETag       string    `json:"_etag,omitempty"`
}

// Store reads and switches the pointer.
type Store struct {
	conn *cosmosdb.Conn
	now  func() time.Time
}

// New returns the pointer store of a connection.
func New(conn *cosmosdb.Conn) *Store {
	return &Store{conn: conn, now: time.Now}
}

// Read returns the pointer; without a document, the original container.
// Errors: es.Unavailable (the store), es.Internal (an unreadable document).
func (s *Store) Read(ctx context.Context) (Pointer, error) {
	raw, found, err := s.conn.ReadByID(ctx, cosmosdb.Leases, DocumentID)
	if err != nil {
		return Pointer{}, err
	}
	if !found {
		return Pointer{Container: cosmosdb.Views}, nil
	}
	var d document
	if err := json.Unmarshal(raw, &d); err != nil || d.Container == "" {
		return Pointer{}, es.Errorf(es.Internal, "views.pointer_unreadable", "the views pointer %s names no container (%s): %v", DocumentID, raw, err)
	}
	return Pointer{Container: d.Container, Previous: d.Previous, SwitchedAt: d.SwitchedAt, etag: d.ETag}, nil
}

// ActiveViews returns the name of the active views container.
func (s *Store) ActiveViews(ctx context.Context) (string, error) {
	p, err := s.Read(ctx)
	return p.Container, err
}

// Switch points at container instead of from (as Read returned it). It
// fails with ErrChanged when the stored pointer is no longer from.
func (s *Store) Switch(ctx context.Context, from Pointer, container string) (Pointer, error) {
	next := Pointer{Container: container, Previous: from.Container, SwitchedAt: s.now().UTC()}
	body, err := json.Marshal(document{ID: DocumentID, Container: next.Container, Previous: next.Previous, SwitchedAt: next.SwitchedAt})
	if err != nil {
		return Pointer{}, err
	}
	next.etag, err = s.conn.PutConditioned(ctx, cosmosdb.Leases, DocumentID, body, from.etag)
	if errors.Is(err, cosmosdb.ErrConditionFailed) {
		return Pointer{}, fmt.Errorf("switch the views to %s: %w", container, ErrChanged)
	}
	if err != nil {
		return Pointer{}, err
	}
	return next, nil
}
