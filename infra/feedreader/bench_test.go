package feedreader_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosdb"
	"orderctx/infra/feedreader"
)

// BenchmarkReadWholeContainer compares two ways of reading every document of
// a container of 100,000 event-sized documents in 20,000 partition keys on
// the embedded store with 4 physical partitions: its change feed from the
// beginning (what orderctx verify reads, in write order per partition key)
// and a cross-partition query SELECT * FROM c, paged (in no useful order).
// Pages of 1,000 documents both.
func BenchmarkReadWholeContainer(b *testing.B) {
	const docs, streams, page = 100_000, 20_000, 1000
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Memory: true, Partitions: 4}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	c := conn.Container(cosmosdb.Events)
	for i := range docs {
		stream := fmt.Sprintf("order-%d", i%streams)
		doc := fmt.Appendf(nil, `{"id":"%s:%d","streamId":%q,"version":%d,"type":"order.item_added","schemaVersion":1,`+
			`"data":{"orderId":"%d","productId":"p-%d","name":"Fountain pen","quantity":2,"unitPrice":{"amount":1250,"currency":"EUR"},"discount":{"amount":0,"currency":"EUR"}},`+
			`"eventId":"5f25c608-6d6e-4b5c-9a4e-%012d","commandId":"k-%d","occurredAt":"2026-11-22T08:55:18.26Z"}`,
			stream, i/streams+1, stream, i/streams+1, i%streams, i, i, i)
		if _, err := c.UpsertItem(context.Background(), azcosmos.NewPartitionKeyString(stream), doc, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("changefeed", func(b *testing.B) {
		for b.Loop() {
			r := feedreader.New(conn, cosmosdb.Events, page)
			n := 0
			for {
				items, caughtUp, err := r.Next(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if caughtUp {
					break
				}
				n += len(items)
			}
			if n != docs {
				b.Fatalf("read %d documents", n)
			}
		}
		b.ReportMetric(float64(docs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	})
	b.Run("query", func(b *testing.B) {
		for b.Loop() {
			pager := c.NewQueryItemsPager("SELECT * FROM c", azcosmos.NewPartitionKey(), &azcosmos.QueryOptions{PageSizeHint: page})
			n := 0
			for pager.More() {
				resp, err := pager.NextPage(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				n += len(resp.Items)
			}
			if n != docs {
				b.Fatalf("read %d documents", n)
			}
		}
		b.ReportMetric(float64(docs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	})
}
