// Package pgcopy is the fourth change-feed consumer (function
// CopyOrdersToPostgres): it keeps the PostgreSQL copy of the order views
// (infra/pgviews) current from the events. It is the projector itself,
// writing through the PostgreSQL store instead of the views container, so
// the copy is the same fold, idempotent by version, with gaps retried and
// poison parked in deadletters under its own name.
//
// The Functions host fails the whole app when a function has no consumer,
// and the copy is optional (ORDERCTX_POSTGRES_DSN). Without a database the
// function runs Disabled: it logs that nothing is configured and succeeds,
// so its checkpoint moves on. Rows for the events it skipped come from
// `orderctx rebuild postgres`, which replays every event into the copy when
// a database is configured later (writes by version make that safe while
// the consumer runs).
package pgcopy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"

	"orderctx/domain/es"
	"orderctx/functions"
	"orderctx/functions/parking"
	"orderctx/functions/projector"
)

// Name is the consumer's persistent name: its lease prefix and its
// partition in the deadletters container. It must never change.
const Name = "pgcopy"

// EnvDSN is the setting that names the PostgreSQL database.
const EnvDSN = "ORDERCTX_POSTGRES_DSN"

// Concurrency bounds the order writes of one batch in flight: each is a
// transaction holding one of the pool's connections.
const Concurrency = 8

// NewConsumer returns the consumer writing through views (a pgviews.Store),
// decoding through reg and parking in letters under Name.
func NewConsumer(views projector.Views, reg *es.Registry, letters parking.Store, log *slog.Logger) (*parking.Consumer, error) {
	p, err := projector.New(projector.Config{Views: views, Log: log, Concurrency: Concurrency})
	if err != nil {
		return nil, fmt.Errorf("pgcopy: %w", err)
	}
	return parking.New(parking.Config{Consumer: Name, Registry: reg, Store: letters, Handler: p, Log: log})
}

// Disabled is the consumer when no database is configured: every batch
// succeeds untouched, and the first is logged.
func Disabled(log *slog.Logger) functions.Consumer {
	var told atomic.Bool
	return functions.ConsumerFunc(func(_ context.Context, docs []json.RawMessage) (functions.Result, error) {
		if !told.Swap(true) && log != nil {
			log.Warn("the PostgreSQL copy is not configured: events pass it by; set " + EnvDSN +
				" and run `orderctx rebuild postgres` to fill it")
		}
		return functions.Result{Logs: []string{fmt.Sprintf("%s: not configured (%s): %d events passed by", Name, EnvDSN, len(docs))}}, nil
	})
}
