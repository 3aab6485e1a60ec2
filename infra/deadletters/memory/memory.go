// Package memory is an in-memory dead-letter store (parking.Store), for tests
// and for running consumers without a database. It passes the same acceptance
// suite as the Cosmos DB store (infra/deadletters/deadletterstest).
package memory

import (
	"context"
	"slices"
	"sync"

	"orderctx/functions/parking"
)

// Store keeps letters in a map. The zero value is ready to use.
type Store struct {
	mu      sync.Mutex
	letters map[[2]string]parking.Letter // by consumer and id
	order   [][2]string
	fail    error
	heads   int
	checks  int
}

// SetFail makes every call return err (nil: work again), as an unreachable
// store would.
func (s *Store) SetFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// HeadsCalls returns how many times Heads was called.
func (s *Store) HeadsCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heads
}

// AnyParkedCalls returns how many times AnyParked was called.
func (s *Store) AnyParkedCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checks
}

var _ parking.Store = (*Store)(nil)

// AnyParked implements parking.Store.
func (s *Store) AnyParked(_ context.Context, consumer string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks++
	if s.fail != nil {
		return false, s.fail
	}
	for _, l := range s.letters {
		if l.Consumer == consumer && l.StreamID != "" {
			return true, nil
		}
	}
	return false, nil
}

// Release deletes every letter of consumer's stream, as an operator does
// before feeding the parked documents again.
func (s *Store) Release(consumer, stream string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = slices.DeleteFunc(s.order, func(key [2]string) bool {
		if l := s.letters[key]; key[0] == consumer && l.StreamID == stream {
			delete(s.letters, key)
			return true
		}
		return false
	})
}

// Heads implements parking.Store.
func (s *Store) Heads(_ context.Context, consumer string, streamIDs []string) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heads++
	if s.fail != nil {
		return nil, s.fail
	}
	heads := make(map[string]int64)
	for _, l := range s.letters {
		if l.Consumer != consumer || !slices.Contains(streamIDs, l.StreamID) {
			continue
		}
		if v, ok := heads[l.StreamID]; !ok || l.Version < v {
			heads[l.StreamID] = l.Version
		}
	}
	return heads, nil
}

// Park implements parking.Store.
func (s *Store) Park(_ context.Context, letters []parking.Letter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if s.letters == nil {
		s.letters = make(map[[2]string]parking.Letter)
	}
	for _, l := range letters {
		key := [2]string{l.Consumer, l.ID}
		if _, ok := s.letters[key]; !ok {
			s.letters[key] = l
			s.order = append(s.order, key)
		}
	}
	return nil
}

// List returns every letter of a consumer in the order they were parked.
func (s *Store) List(_ context.Context, consumer string) ([]parking.Letter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []parking.Letter
	for _, key := range s.order {
		if key[0] == consumer {
			out = append(out, s.letters[key])
		}
	}
	return out, nil
}
