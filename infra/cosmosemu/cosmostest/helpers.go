package cosmostest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// The exported helpers below serve the suite and the tests that drive the
// embedded server through the SDK beside it.

// Item returns the JSON of an item with an id, a partition key value at /pk
// and extra properties.
func Item(id, pk string, extra map[string]any) []byte {
	m := map[string]any{"id": id, "pk": pk}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

// StatusOf returns the HTTP status of an SDK error, or 0.
func StatusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// ServiceError is what a failed call told the SDK: the HTTP status, the
// x-ms-substatus header, and the {code, message} of the error body.
type ServiceError struct {
	Status    int
	SubStatus string
	Code      string
	Message   string
}

// ErrorOf unpacks an SDK error into a ServiceError; it fails the test if err
// is nil or is not a service response with a JSON {code, message} body.
func ErrorOf(t *testing.T, err error) ServiceError {
	t.Helper()
	if err == nil {
		t.Fatal("the call succeeded, want a service error")
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.RawResponse == nil {
		t.Fatalf("want a service error response, got %T: %v", err, err)
	}
	body, berr := runtime.Payload(re.RawResponse)
	if berr != nil {
		t.Fatalf("read error body: %v", berr)
	}
	var eb struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if jerr := json.Unmarshal(body, &eb); jerr != nil {
		t.Fatalf("error body %q is not {code, message}: %v", body, jerr)
	}
	return ServiceError{Status: re.StatusCode, SubStatus: re.RawResponse.Header.Get("x-ms-substatus"), Code: eb.Code, Message: eb.Message}
}

// DrainFeed reads a container's whole change feed from the beginning.
func DrainFeed(t *testing.T, c *azcosmos.ContainerClient) []map[string]any {
	t.Helper()
	items, _ := ReadFeed(t, c, nil)
	return items
}

// feedPageSize is the MaxItemCount ReadFeed asks for; no page may exceed it.
const feedPageSize = 7

// ReadFeed reads all pages of the change feed from a continuation (nil:
// from the beginning of every feed range) until a page comes back empty,
// returning the items and the next continuation.
func ReadFeed(t *testing.T, c *azcosmos.ContainerClient, cont *string) ([]map[string]any, string) {
	t.Helper()
	var out []map[string]any
	pages, next := feedPages(t, c, cont, feedPageSize)
	for _, p := range pages {
		out = append(out, p...)
	}
	return out, next
}

// feedPages reads the change feed page by page with the given MaxItemCount,
// from a continuation (nil: from the beginning of every feed range), until a
// page comes back empty. It returns the non-empty pages, failing the test if
// any page holds more than max items, and the continuation after the last page.
func feedPages(t *testing.T, c *azcosmos.ContainerClient, cont *string, max int32) ([][]map[string]any, string) {
	t.Helper()
	ctx := context.Background()
	var pages [][]map[string]any
	opts := &azcosmos.ChangeFeedOptions{MaxItemCount: max}
	if cont != nil {
		opts.Continuation = cont
	} else {
		ranges, err := c.ReadFeedRanges(ctx, nil)
		if err != nil {
			t.Fatalf("feed ranges: %v", err)
		}
		opts.FeedRange = &azcosmos.FeedRange{MinInclusive: ranges[0].MinInclusive, MaxExclusive: ranges[len(ranges)-1].MaxExclusive}
	}
	for i := 0; i < 10000; i++ {
		resp, err := c.ReadChangeFeed(ctx, opts)
		if err != nil {
			t.Fatalf("read change feed: %v", err)
		}
		if len(resp.Items) > int(max) {
			t.Fatalf("change feed page of %d items, MaxItemCount %d", len(resp.Items), max)
		}
		token := resp.ContinuationToken
		opts = &azcosmos.ChangeFeedOptions{MaxItemCount: max, Continuation: &token}
		if len(resp.Items) == 0 {
			return pages, token
		}
		page := make([]map[string]any, len(resp.Items))
		for j, it := range resp.Items {
			page[j] = decode(t, it)
		}
		pages = append(pages, page)
	}
	t.Fatal("change feed did not end")
	return nil, ""
}

// feedIDs lists the "id" of each item.
func feedIDs(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it["id"].(string)
	}
	return out
}

// QueryValues runs a query through the SDK pager and returns every result,
// decoded, in the order the pages delivered them.
func QueryValues(t *testing.T, c *azcosmos.ContainerClient, q string, pk azcosmos.PartitionKey, opts *azcosmos.QueryOptions) ([]any, error) {
	t.Helper()
	pager := c.NewQueryItemsPager(q, pk, opts)
	out := []any{}
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			out = append(out, decodeAny(t, it))
		}
	}
	return out, nil
}

// queryAll runs a query and returns its results as objects (a scalar v as
// {"value": v}) and how many pages delivered them.
func queryAll(t *testing.T, c *azcosmos.ContainerClient, q string, pk azcosmos.PartitionKey, opts *azcosmos.QueryOptions) ([]map[string]any, int, error) {
	t.Helper()
	pager := c.NewQueryItemsPager(q, pk, opts)
	var out []map[string]any
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			return nil, pages, err
		}
		pages++
		for _, it := range page.Items {
			v := decodeAny(t, it)
			if m, ok := v.(map[string]any); ok {
				out = append(out, m)
			} else {
				out = append(out, map[string]any{"value": v})
			}
		}
	}
	return out, pages, nil
}

// withHeader returns ctx carrying an HTTP header for the SDK to send, for
// what azcosmos has no option for (If-None-Match on a point read or to start
// the change feed now).
func withHeader(ctx context.Context, name, value string) context.Context {
	return policy.WithHTTPHeader(ctx, http.Header{name: {value}})
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// mustJSON decodes a JSON literal of a test table.
func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad expectation %s: %v", s, err)
	}
	return v
}

// sortedJSON returns the values as JSON texts, sorted: the multiset of
// results, for queries without ORDER BY, whose order the service leaves open.
func sortedJSON(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		b, _ := json.Marshal(v)
		out[i] = string(b)
	}
	slices.Sort(out)
	return out
}

// jsonText renders results as one JSON array, in their original order.
func jsonText(vs []any) string {
	b, _ := json.Marshal(vs)
	return string(b)
}
