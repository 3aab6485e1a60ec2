// Package memory is an in-memory view store (projector.Views), for tests and
// for running the projector without a database. Views are kept as JSON, as a
// real store keeps them, and it passes the same acceptance suite as the
// Cosmos DB store (infra/viewstore/viewstoretest).
package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"orderctx/domain/es"
	"orderctx/domain/orderview"
	"orderctx/functions/projector"
)

// Store keeps views in a map. The zero value is ready to use.
type Store struct {
	mu     sync.Mutex
	docs   map[string]doc
	etags  int64
	writes int
	gets   int
	// beforeWrite runs before each create or replace, outside the lock.
	beforeWrite func(id string)
}

type doc struct {
	body []byte
	etag string
}

var _ projector.Views = (*Store)(nil)

// BeforeWrite sets a hook that runs before every create or replace decides,
// so a test can slip another writer's change in between.
func (s *Store) BeforeWrite(hook func(id string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeWrite = hook
}

// Counts returns how many Get calls and successful writes the store served.
func (s *Store) Counts() (gets, writes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets, s.writes
}

// Get implements projector.Views.
func (s *Store) Get(_ context.Context, ids []string) (map[string]projector.Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	out := make(map[string]projector.Stored, len(ids))
	for _, id := range ids {
		d, ok := s.docs[id]
		if !ok {
			continue
		}
		var v orderview.View
		if err := json.Unmarshal(d.body, &v); err != nil {
			return nil, err
		}
		out[id] = projector.Stored{View: v, ETag: d.etag}
	}
	return out, nil
}

// Create implements projector.Views.
func (s *Store) Create(_ context.Context, v orderview.View) (string, error) {
	return s.write(v, func(d doc, exists bool) error {
		if exists {
			return fmt.Errorf("create view %s: it exists: %w", v.ID, es.ErrConcurrency)
		}
		return nil
	})
}

// Replace implements projector.Views.
func (s *Store) Replace(_ context.Context, v orderview.View, etag string) (string, error) {
	return s.write(v, func(d doc, exists bool) error {
		if !exists || d.etag != etag {
			return fmt.Errorf("replace view %s: it changed: %w", v.ID, es.ErrConcurrency)
		}
		return nil
	})
}

func (s *Store) write(v orderview.View, check func(d doc, exists bool) error) (string, error) {
	s.mu.Lock()
	hook := s.beforeWrite
	s.mu.Unlock()
	if hook != nil {
		hook(v.ID)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, exists := s.docs[v.ID]
	if err := check(d, exists); err != nil {
		return "", err
	}
	if s.docs == nil {
		s.docs = make(map[string]doc)
	}
	s.etags++
	s.writes++
	etag := `"` + strconv.FormatInt(s.etags, 10) + `"`
	s.docs[v.ID] = doc{body: body, etag: etag}
	return etag, nil
}
