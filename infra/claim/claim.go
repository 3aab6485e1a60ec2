// Package claim keeps exclusive claims (locks with an owner and an expiry)
// as documents in the leases container, for operations that must not run
// twice at once, such as `orderctx rebuild views`. A claim also carries the
// operation's state, so that an interrupted operation is resumed by the
// next owner instead of started over.
//
//	{"id": "orderctx.meta.rebuild.views", "owner": "host-4711-9f3a", "expiresAt": "...", "state": {...}}
//
// Every write is conditioned on the etag last read (create, or replace with
// If-Match), so of two processes claiming at once exactly one wins. A claim
// whose owner stopped renewing it is free once expiresAt has passed;
// Release frees it at once and keeps its state. Expiry compares the
// writer's clock with the reader's, as the change feed leases do: clocks
// must agree to well within the time to live.
package claim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"orderctx/infra/cosmosdb"
)

// ErrHeld is wrapped by Acquire's error when another owner holds the claim.
var ErrHeld = errors.New("claimed by another owner")

// ErrLost is wrapped by the errors of Renew, Save, Release and Delete when
// the claim changed since this owner wrote it (it expired and was taken, or
// was deleted).
var ErrLost = errors.New("the claim was lost")

// Claim is a claim as last written by this process.
type Claim struct {
	ID        string
	Owner     string
	ExpiresAt time.Time
	// State is the operation's own record, kept across owners.
	State json.RawMessage
	etag  string
}

type document struct {
	ID        string          `json:"id"`
	Owner     string          `json:"owner"`
	ExpiresAt time.Time       `json:"expiresAt"`
	State     json.RawMessage `json:"state,omitempty"`
	ETag      string          `json:"_etag,omitempty"`
}

// Store keeps claims in the leases container.
type Store struct {
	conn *cosmosdb.Conn
	now  func() time.Time
}

// New returns the claim store of a connection.
func New(conn *cosmosdb.Conn) *Store {
	return &Store{conn: conn, now: time.Now}
}

// WithClock returns the store reading time from now (tests, drills).
func (s *Store) WithClock(now func() time.Time) *Store {
	return &Store{conn: s.conn, now: now}
}

// Acquire takes the claim id for owner for ttl: a new claim, one released,
// one that expired, or one owner already holds. The state of an existing
// claim is kept (the caller resumes from it). Errors: ErrHeld (wrapped, the
// message saying who holds it and until when), es.Unavailable.
func (s *Store) Acquire(ctx context.Context, id, owner string, ttl time.Duration) (Claim, error) {
	cur, err := s.Read(ctx, id)
	if err != nil {
		return Claim{}, err
	}
	if cur != nil && cur.Owner != "" && cur.Owner != owner && s.now().Before(cur.ExpiresAt) {
		return Claim{}, fmt.Errorf("%w: %s is held by %s until %s", ErrHeld, id, cur.Owner, cur.ExpiresAt.Format(time.RFC3339))
	}
	c := Claim{ID: id, Owner: owner, ExpiresAt: s.now().Add(ttl).UTC()}
	if cur != nil {
		c.State, c.etag = cur.State, cur.etag
	}
	c, err = s.write(ctx, c)
	if errors.Is(err, ErrLost) {
		return Claim{}, fmt.Errorf("%w: %s was claimed at the same moment by another owner", ErrHeld, id)
	}
	return c, err
}

// Renew extends the claim by ttl from now.
func (s *Store) Renew(ctx context.Context, c Claim, ttl time.Duration) (Claim, error) {
	c.ExpiresAt = s.now().Add(ttl).UTC()
	return s.write(ctx, c)
}

// Save stores a new state with the claim (and renews it by ttl).
func (s *Store) Save(ctx context.Context, c Claim, state json.RawMessage, ttl time.Duration) (Claim, error) {
	c.State = state
	return s.Renew(ctx, c, ttl)
}

// Release gives the claim up but keeps its state: the next Acquire, by any
// owner, takes it at once and resumes.
func (s *Store) Release(ctx context.Context, c Claim) error {
	c.Owner, c.ExpiresAt = "", s.now().UTC()
	_, err := s.write(ctx, c)
	return err
}

// Delete removes the claim and its state: the operation is over.
func (s *Store) Delete(ctx context.Context, c Claim) error {
	err := s.conn.DeleteConditioned(ctx, cosmosdb.Leases, c.ID, c.etag)
	if errors.Is(err, cosmosdb.ErrConditionFailed) {
		return fmt.Errorf("delete claim %s: %w", c.ID, ErrLost)
	}
	return err
}

// Read returns the stored claim, or nil when there is none.
func (s *Store) Read(ctx context.Context, id string) (*Claim, error) {
	raw, found, err := s.conn.ReadByID(ctx, cosmosdb.Leases, id)
	if err != nil || !found {
		return nil, err
	}
	var d document
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("claim %s does not decode: %w", id, err)
	}
	return &Claim{ID: d.ID, Owner: d.Owner, ExpiresAt: d.ExpiresAt, State: d.State, etag: d.ETag}, nil
}

// write creates the claim (no etag yet) or replaces the version c was read
// or written as.
func (s *Store) write(ctx context.Context, c Claim) (Claim, error) {
	body, err := json.Marshal(document{ID: c.ID, Owner: c.Owner, ExpiresAt: c.ExpiresAt, State: c.State})
	if err != nil {
		return c, err
	}
	etag, err := s.conn.PutConditioned(ctx, cosmosdb.Leases, c.ID, body, c.etag)
	if errors.Is(err, cosmosdb.ErrConditionFailed) {
		return c, fmt.Errorf("write claim %s: %w", c.ID, ErrLost)
	}
	if err != nil {
		return c, err
	}
	c.etag = etag
	return c, nil
}
