package feedreader_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosdb"
	"orderctx/infra/feedreader"
)

func open(t *testing.T, partitions int) *cosmosdb.Conn {
	t.Helper()
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Memory: true, Partitions: partitions}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func upsert(t *testing.T, c *azcosmos.ContainerClient, id string, version int) {
	t.Helper()
	doc := fmt.Appendf(nil, `{"id":%q,"version":%d}`, id, version)
	if _, err := c.UpsertItem(context.Background(), azcosmos.NewPartitionKeyString(id), doc, nil); err != nil {
		t.Fatal(err)
	}
}

// drain reads until the reader reports it caught up, returning each id's
// last version seen and the number of pages.
func drain(t *testing.T, r *feedreader.Reader, seen map[string]int) int {
	t.Helper()
	for pages := 0; pages < 1000; pages++ {
		docs, caughtUp, err := r.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			var v struct {
				ID      string `json:"id"`
				Version int    `json:"version"`
			}
			if err := json.Unmarshal(d, &v); err != nil {
				t.Fatal(err)
			}
			if v.Version < seen[v.ID] {
				t.Fatalf("%s went back from version %d to %d", v.ID, seen[v.ID], v.Version)
			}
			seen[v.ID] = v.Version
		}
		if caughtUp {
			return pages + min(len(docs), 1)
		}
	}
	t.Fatal("the feed did not catch up")
	return 0
}

func TestReaderFollowsEveryRange(t *testing.T) {
	t.Parallel()
	conn := open(t, 3)
	views := conn.Container(cosmosdb.Views)
	r := feedreader.New(conn, cosmosdb.Views, 7)
	seen := map[string]int{}
	if pages := drain(t, r, seen); pages != 0 || len(seen) != 0 {
		t.Fatalf("an empty container gave %d pages", pages)
	}
	for i := 0; i < 60; i++ {
		upsert(t, views, fmt.Sprintf("o-%d", i), 1)
	}
	for i := 0; i < 60; i += 3 {
		upsert(t, views, fmt.Sprintf("o-%d", i), 2)
	}
	if pages := drain(t, r, seen); pages < 60/7 {
		t.Fatalf("%d pages of at most 7 for 60 documents", pages)
	}
	for i := 0; i < 60; i++ {
		if want := 1 + boolInt(i%3 == 0); seen[fmt.Sprintf("o-%d", i)] != want {
			t.Fatalf("o-%d at version %d, want %d", i, seen[fmt.Sprintf("o-%d", i)], want)
		}
	}
	// Only what changed since comes next.
	upsert(t, views, "o-5", 3)
	upsert(t, views, "o-new", 1)
	after := map[string]int{}
	drain(t, r, after)
	if len(after) != 2 || after["o-5"] != 3 || after["o-new"] != 1 {
		t.Fatalf("after catching up: %v", after)
	}
}

// TestReaderSaysWhenAShortPageWasTheLast: with one range, a page shorter
// than the page size is the head (no read needed to find nothing); with
// several, only a read that finds nothing in any range is.
func TestReaderSaysWhenAShortPageWasTheLast(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		partitions int
		want       bool
	}{{1, true}, {3, false}} {
		t.Run(fmt.Sprintf("%d ranges", tc.partitions), func(t *testing.T) {
			t.Parallel()
			conn := open(t, tc.partitions)
			r := feedreader.New(conn, cosmosdb.Views, 7)
			drain(t, r, map[string]int{})
			upsert(t, conn.Container(cosmosdb.Views), "o-1", 1)
			docs, caughtUp, err := r.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 || caughtUp != tc.want {
				t.Fatalf("a page of %d after one change: caught up %v, want %v", len(docs), caughtUp, tc.want)
			}
			if tc.partitions > 1 {
				return
			}
			for i := range 7 {
				upsert(t, conn.Container(cosmosdb.Views), fmt.Sprintf("n-%d", i), 1)
			}
			if docs, caughtUp, err = r.Next(context.Background()); err != nil || len(docs) != 7 || caughtUp {
				t.Fatalf("a full page: %d documents, caught up %v, err %v", len(docs), caughtUp, err)
			}
		})
	}
}

func TestReaderReportsErrorsPlainly(t *testing.T) {
	t.Parallel()
	conn := open(t, 1)
	r := feedreader.New(conn, "missing", 0)
	_, _, err := r.Next(context.Background())
	if err == nil {
		t.Fatal("a missing container read fine")
	}
	t.Log(err)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
