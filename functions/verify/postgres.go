package verify

import (
	"context"
	"encoding/json"

	"orderctx/domain/orderview"
	"orderctx/infra/pgviews"
)

// PostgresSource names the PostgreSQL copy of the views in the report.
const PostgresSource = "postgres"

// postgresFeed reads every order of the PostgreSQL copy as view documents,
// in one page (the copy has one row per order; the check holds a
// stream per order anyway).
type postgresFeed struct {
	store *pgviews.Store
	done  bool
}

// Next returns every view on the first call, then an empty caught-up page.
func (f *postgresFeed) Next(ctx context.Context) ([][]byte, bool, error) {
	if f.done {
		return nil, true, nil
	}
	views, err := f.store.All(ctx)
	if err != nil {
		return nil, false, err
	}
	f.done = true
	docs := make([][]byte, 0, len(views))
	for _, v := range views {
		doc, err := json.Marshal(v)
		if err != nil {
			return nil, false, err
		}
		docs = append(docs, doc)
	}
	return docs, false, nil
}

// storedInPostgres is how the copy keeps a view (times to the microsecond).
func storedInPostgres(v orderview.View) orderview.View { return pgviews.AsStored(v) }
