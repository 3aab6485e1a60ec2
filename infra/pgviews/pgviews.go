// Package pgviews keeps a relational copy of the order views in PostgreSQL,
// for reporting: one row per order in `orders`, one per line item in
// `order_items`. It implements projector.Views, so the projector's own fold,
// idempotency, gap detection and parking fill it from the events exactly as
// they fill the views container.
//
// Writes are conditional on the version, the store's etag: Create inserts
// an order that has no row yet, and Replace updates a row only if it still
// has the version the projector read and the new view is newer, its items
// replaced in the same transaction. So a re-delivered or replayed event
// changes nothing (the projector skips versions the row has), and of two
// writers (the consumer and a backfill) the second is refused and re-applies
// its events on the first one's row, as on the views container. The
// schema is created and migrated at first use (Migrate), serialized across
// processes by an advisory lock.
//
// Times are stored as timestamptz, which keeps microseconds: a view's times
// read back from here are truncated to the microsecond.
package pgviews

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"orderctx/domain/es"
	"orderctx/domain/orderview"
	"orderctx/functions/projector"
)

// Store is the PostgreSQL copy.
type Store struct {
	pool *pgxpool.Pool

	mu       sync.Mutex
	migrated bool
}

var _ projector.Views = (*Store)(nil)

// Open returns a store for the database dsn names (a PostgreSQL URL or
// key=value string; pool settings such as pool_max_conns go in it too). It
// does not connect yet: the first call does, and migrates the schema.
func Open(dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: the connection string does not parse: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the connections.
func (s *Store) Close() { s.pool.Close() }

// ready migrates the schema once per store.
func (s *Store) ready(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.migrated {
		return nil
	}
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	s.migrated = true
	return nil
}

// Get implements projector.Views: the orders among ids with their items, in
// two queries. The etag of a row is its version.
func (s *Store) Get(ctx context.Context, ids []string) (map[string]projector.Stored, error) {
	out := make(map[string]projector.Stored, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	views, err := s.read(ctx, "WHERE order_id = ANY($1)", ids)
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		out[v.ID] = projector.Stored{View: v, ETag: strconv.FormatInt(v.Version, 10)}
	}
	return out, nil
}

// Create implements projector.Views: the order's row and items, unless the
// order has a row already. Errors: es.ErrConcurrency (wrapped) when it has;
// es.Unavailable.
func (s *Store) Create(ctx context.Context, v orderview.View) (string, error) {
	return s.write(ctx, v, insertOrder, orderArgs(v), "create")
}

// Replace implements projector.Views: the row is replaced (its items too)
// only if it still has the version etag names and v is newer. Errors:
// es.ErrConcurrency (wrapped) when it changed or is gone; es.Unavailable.
func (s *Store) Replace(ctx context.Context, v orderview.View, etag string) (string, error) {
	expected, err := strconv.ParseInt(etag, 10, 64)
	if err != nil {
		return "", fmt.Errorf("replace order %s: etag %q is not a version of this store: %w", v.ID, etag, es.ErrConcurrency)
	}
	return s.write(ctx, v, updateOrder, append(orderArgs(v), expected), "replace")
}

// write runs one conditional write of an order's row and, when it wrote,
// replaces the order's items in the same transaction.
func (s *Store) write(ctx context.Context, v orderview.View, statement string, args []any, what string) (string, error) {
	if err := s.ready(ctx); err != nil {
		return "", err
	}
	written := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var version int64
		err := tx.QueryRow(ctx, statement, args...).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		written = true
		if _, err := tx.Exec(ctx, "DELETE FROM order_items WHERE order_id = $1", v.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, insertItems, itemArgs(v)...)
		return err
	})
	if err != nil {
		return "", unavailable(err, what+" order "+v.ID)
	}
	if !written {
		return "", fmt.Errorf("%s order %s: another writer got there first: %w", what, v.ID, es.ErrConcurrency)
	}
	return strconv.FormatInt(v.Version, 10), nil
}

// All returns every order, by id.
func (s *Store) All(ctx context.Context) ([]orderview.View, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	return s.read(ctx, "")
}

// Reset deletes every order and item (the schema stays).
func (s *Store) Reset(ctx context.Context) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, "TRUNCATE orders, order_items")
	return unavailable(err, "truncate the orders")
}

// Counts returns the number of orders and of items.
func (s *Store) Counts(ctx context.Context) (orders, items int64, err error) {
	if err := s.ready(ctx); err != nil {
		return 0, 0, err
	}
	err = s.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items)").Scan(&orders, &items)
	return orders, items, unavailable(err, "count the orders")
}

// unavailable marks a database failure as transient for the consumers,
// which retry the batch: connections refused or dropped, timeouts, and the
// server's own errors alike. Context errors pass through.
func unavailable(err error, what string) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: fmt.Sprintf("postgres: %s: %v", what, err)}
}

// AsStored returns v as this store keeps it: every time truncated to the
// microsecond (PostgreSQL's precision) and in UTC, items never nil. A view
// read back equals AsStored of the view written.
func AsStored(v orderview.View) orderview.View {
	v.PlacedAt, v.UpdatedAt = micro(v.PlacedAt), micro(v.UpdatedAt)
	v.PaidAt, v.ShippedAt, v.CancelledAt = microPtr(v.PaidAt), microPtr(v.ShippedAt), microPtr(v.CancelledAt)
	if v.Items == nil {
		v.Items = []orderview.Item{}
	}
	return v
}

func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

func microPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := micro(*t)
	return &u
}
