package pgviews

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations are the schema's versions, applied in order, each once: the
// applied ones are recorded in orderctx_schema_migrations. Append, never edit.
var migrations = []string{
	`CREATE TABLE orders (
		order_id          text PRIMARY KEY,
		status            text NOT NULL,
		buyer_id          text NOT NULL,
		currency          text NOT NULL,
		total             bigint NOT NULL,
		refund_due        bigint,
		payment_reference text,
		carrier           text,
		tracking_number   text,
		cancel_reason     text,
		ship_street       text NOT NULL,
		ship_city         text NOT NULL,
		ship_postal_code  text NOT NULL,
		ship_country      text NOT NULL,
		placed_at         timestamptz NOT NULL,
		paid_at           timestamptz,
		shipped_at        timestamptz,
		cancelled_at      timestamptz,
		updated_at        timestamptz NOT NULL,
		version           bigint NOT NULL CHECK (version > 0)
	);
	CREATE TABLE order_items (
		order_id   text NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
		line_no    integer NOT NULL,
		product_id text NOT NULL,
		name       text NOT NULL,
		quantity   integer NOT NULL,
		unit_price bigint NOT NULL,
		discount   bigint NOT NULL,
		line_total bigint NOT NULL,
		PRIMARY KEY (order_id, product_id)
	);
	CREATE INDEX orders_by_status ON orders (status, placed_at);
	CREATE INDEX orders_by_buyer ON orders (buyer_id, placed_at);`,
}

// migrationLock is the advisory lock that serializes migrations across
// processes (consumers starting together, a rebuild).
const migrationLock = 7_465_023_418_001

// Migrate brings the schema up to date; it is idempotent and safe to run
// from several processes at once.
func (s *Store) Migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS orderctx_schema_migrations (
			version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var applied int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM orderctx_schema_migrations").Scan(&applied); err != nil {
			return err
		}
		if applied > len(migrations) {
			return fmt.Errorf("the database has schema version %d; this build knows %d: upgrade it", applied, len(migrations))
		}
		for v := applied + 1; v <= len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO orderctx_schema_migrations (version) VALUES ($1)", v); err != nil {
				return err
			}
		}
		return nil
	})
	return unavailable(err, "migrate the schema")
}
