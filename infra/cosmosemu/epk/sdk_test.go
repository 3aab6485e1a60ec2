package epk_test

// Cross-checks against the real SDK (azcosmos v1.5.0) through a minimal fake
// gateway: the SDK's own partition key header must parse back to the values
// it was built from, and the SDK's client-side EPK routing (used by
// ReadManyItems) must pick the same range as Compute for every key.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu/epk"
)

const collRID = "q3ZjAA=="

// fakeGateway answers just enough of the REST API for ReadItem and
// ReadManyItems against container "c" in database "db".
type fakeGateway struct {
	t      *testing.T
	pkDef  map[string]any
	ranges []epk.Range

	mu      sync.Mutex
	headers []string            // partition key headers of point reads, in order
	routed  map[string][]string // range id -> query parameter values seen
}

func newFakeGateway(t *testing.T, pkDef map[string]any, ranges []epk.Range) (*fakeGateway, *azcosmos.ContainerClient) {
	t.Helper()
	g := &fakeGateway{t: t, pkDef: pkDef, ranges: ranges, routed: map[string][]string{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)

	cred, err := azcosmos.NewKeyCredential(base64.StdEncoding.EncodeToString([]byte("not-a-real-key")))
	if err != nil {
		t.Fatal(err)
	}
	client, err := azcosmos.NewClientWithKey(srv.URL+"/", cred, &azcosmos.ClientOptions{
		ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewContainer("db", "c")
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, body any) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-ms-request-charge", "1")
		w.WriteHeader(status)
		if body != nil {
			_ = json.NewEncoder(w).Encode(body)
		}
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodGet && p == "":
		loc := []map[string]any{{"name": "local", "databaseAccountEndpoint": "http://" + r.Host + "/"}}
		reply(200, map[string]any{
			"id": "emu", "readableLocations": loc, "writableLocations": loc,
			"enableMultipleWriteLocations": false,
			"userConsistencyPolicy":        map[string]any{"defaultConsistencyLevel": "Session"},
		})
	case r.Method == http.MethodGet && p == "/dbs/db/colls/c":
		reply(200, map[string]any{"id": "c", "_rid": collRID, "_self": "dbs/q3ZjAA==/colls/" + collRID + "/", "partitionKey": g.pkDef})
	case r.Method == http.MethodGet && p == "/dbs/db/colls/c/pkranges":
		if r.Header.Get("If-None-Match") != "" {
			reply(http.StatusNotModified, nil)
			return
		}
		var list []map[string]any
		for i, rg := range g.ranges {
			list = append(list, map[string]any{
				"id": strconv.Itoa(i), "_rid": collRID, "minInclusive": rg.Min, "maxExclusive": rg.Max,
				"ridPrefix": i, "throughputFraction": 1.0 / float64(len(g.ranges)), "status": "online", "parents": []string{},
			})
		}
		w.Header().Set("ETag", `"1"`)
		reply(200, map[string]any{"_rid": collRID, "PartitionKeyRanges": list, "_count": len(list)})
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/dbs/db/colls/c/docs/"):
		g.mu.Lock()
		g.headers = append(g.headers, r.Header.Get(epk.HeaderName))
		g.mu.Unlock()
		reply(200, map[string]any{"id": strings.TrimPrefix(p, "/dbs/db/colls/c/docs/")})
	case r.Method == http.MethodPost && p == "/dbs/db/colls/c/docs":
		var q struct {
			Query      string `json:"query"`
			Parameters []struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"parameters"`
		}
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			reply(400, map[string]any{"code": "BadRequest", "message": err.Error()})
			return
		}
		id := r.Header.Get("x-ms-documentdb-partitionkeyrangeid")
		g.mu.Lock()
		for _, prm := range q.Parameters {
			if s, ok := prm.Value.(string); ok {
				g.routed[id] = append(g.routed[id], s)
			}
		}
		g.mu.Unlock()
		reply(200, map[string]any{"_rid": collRID, "Documents": []any{}, "_count": 0})
	default:
		reply(404, map[string]any{"code": "NotFound", "message": r.Method + " " + p})
	}
}

func TestSDKHeaderRoundTrip(t *testing.T) {
	gw, cont := newFakeGateway(t, map[string]any{"paths": []string{"/a", "/b", "/c"}, "kind": "MultiHash", "version": 2}, epk.Split(1))

	cases := []struct {
		pk   azcosmos.PartitionKey
		want []any
	}{
		{azcosmos.NewPartitionKeyString("x"), []any{"x"}},
		{azcosmos.NewPartitionKeyString(""), []any{""}},
		{azcosmos.NewPartitionKeyString(`quote " back \ slash / tab` + "\t"), []any{`quote " back \ slash / tab` + "\t"}},
		{azcosmos.NewPartitionKeyString("é中😀\u2028"), []any{"é中😀\u2028"}},
		{azcosmos.NewPartitionKeyString("\x00\x01\x1f\x7f\a\v"), []any{"\x00\x01\x1f\x7f\a\v"}},
		{azcosmos.NewPartitionKeyString("bad utf8 \xff\xfe"), []any{"bad utf8 \xff\xfe"}},
		{azcosmos.NewPartitionKeyNumber(5), []any{5.0}},
		{azcosmos.NewPartitionKeyNumber(math.Copysign(0, -1)), []any{math.Copysign(0, -1)}},
		{azcosmos.NewPartitionKeyNumber(1e21), []any{1e21}},
		{azcosmos.NewPartitionKeyNumber(1.5e-7), []any{1.5e-7}},
		{azcosmos.NewPartitionKeyNumber(math.MaxFloat64), []any{math.MaxFloat64}},
		{azcosmos.NewPartitionKeyNumber(5e-324), []any{5e-324}},
		{azcosmos.NewPartitionKeyNumber(9007199254740993), []any{9007199254740993.0}},
		{azcosmos.NewPartitionKeyBool(true), []any{true}},
		{azcosmos.NewPartitionKeyBool(false), []any{false}},
		{azcosmos.NullPartitionKey, []any{nil}},
		{azcosmos.NewPartitionKey().AppendNull(), []any{nil}},
		{azcosmos.NewPartitionKeyString("t").AppendNumber(1).AppendBool(true), []any{"t", 1.0, true}},
		{azcosmos.NewPartitionKeyString("t").AppendNull().AppendString("u"), []any{"t", nil, "u"}},
	}
	for i, tc := range cases {
		if _, err := cont.ReadItem(context.Background(), tc.pk, fmt.Sprintf("item-%d", i), nil); err != nil {
			t.Fatalf("case %d: ReadItem: %v", i, err)
		}
	}
	gw.mu.Lock()
	headers := append([]string(nil), gw.headers...)
	gw.mu.Unlock()
	if len(headers) != len(cases) {
		t.Fatalf("saw %d headers for %d reads", len(headers), len(cases))
	}
	for i, tc := range cases {
		got, err := epk.ParseHeader(headers[i])
		if err != nil {
			t.Errorf("case %d: ParseHeader(%q): %v", i, headers[i], err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("case %d: header %q parsed as %#v, want %#v", i, headers[i], got, tc.want)
		}
		for j := range got {
			if f, ok := got[j].(float64); ok && math.Signbit(f) != math.Signbit(tc.want[j].(float64)) {
				t.Errorf("case %d: sign of zero lost in %q", i, headers[i])
			}
		}
	}
}

// TestSDKEmptyKeySendsNoHeader documents that the Go SDK omits the header for
// NewPartitionKey() on point operations; the server must then treat the
// request as addressing the undefined key (or a non-partitioned container).
func TestSDKEmptyKeySendsNoHeader(t *testing.T) {
	gw, cont := newFakeGateway(t, map[string]any{"paths": []string{"/pk"}, "kind": "Hash", "version": 2}, epk.Split(1))
	if _, err := cont.ReadItem(context.Background(), azcosmos.NewPartitionKey(), "x", nil); err != nil {
		t.Fatal(err)
	}
	if len(gw.headers) != 1 || gw.headers[0] != "" {
		t.Errorf("headers = %q, want one empty header", gw.headers)
	}
}

type routedItem struct {
	id     string
	pk     azcosmos.PartitionKey
	values []any
}

// readManyRouting runs ReadManyItems and returns, per item id, the sorted set
// of range ids the SDK queried for it.
func readManyRouting(t *testing.T, pkDef map[string]any, ranges []epk.Range, items []routedItem) map[string][]string {
	t.Helper()
	gw, cont := newFakeGateway(t, pkDef, ranges)
	ids := make([]azcosmos.ItemIdentity, len(items))
	for i, it := range items {
		ids[i] = azcosmos.ItemIdentity{ID: it.id, PartitionKey: it.pk}
	}
	if _, err := cont.ReadManyItems(context.Background(), ids, nil); err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) {
			t.Fatalf("ReadManyItems: %d %s", re.StatusCode, re.ErrorCode)
		}
		t.Fatalf("ReadManyItems: %v", err)
	}
	byID := map[string][]string{}
	gw.mu.Lock()
	defer gw.mu.Unlock()
	for rid, vals := range gw.routed {
		for _, v := range vals {
			if strings.HasPrefix(v, "item-") {
				byID[v] = append(byID[v], rid)
			}
		}
	}
	for _, v := range byID {
		sort.Strings(v)
	}
	return byID
}

func expectRanges(ranges []epk.Range, r epk.Range) []string {
	var out []string
	for i, rg := range ranges {
		if rg.Overlaps(r) {
			out = append(out, strconv.Itoa(i))
		}
	}
	sort.Strings(out)
	return out
}

func pointRange(t *testing.T, values []any, version int) epk.Range {
	t.Helper()
	e, err := epk.Compute(values, version)
	if err != nil {
		t.Fatal(err)
	}
	// The smallest range containing exactly the point e.
	return epk.Range{Min: e, Max: e + "0000000000000000000000000000000001"}
}

func TestSDKRoutingAgrees(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version int
		n       int
	}{
		{"v2-4", 2, 4},
		{"v2-7", 2, 7},
		{"v1-4", 1, 4},
		{"v1-5", 1, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ranges, err := epk.SplitVersion(tc.n, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			var items []routedItem
			for i := 0; i < 300; i++ {
				id := fmt.Sprintf("item-%03d", i)
				var pk azcosmos.PartitionKey
				var v any
				switch i % 5 {
				case 0, 1:
					s := fmt.Sprintf("tenant-%d", i)
					pk, v = azcosmos.NewPartitionKeyString(s), s
				case 2:
					f := float64(i) * 1.25
					pk, v = azcosmos.NewPartitionKeyNumber(f), f
				case 3:
					pk, v = azcosmos.NewPartitionKeyBool(i%2 == 0), i%2 == 0
				case 4:
					pk, v = azcosmos.NullPartitionKey, nil
				}
				items = append(items, routedItem{id: id, pk: pk, values: []any{v}})
			}
			items = append(items, routedItem{id: "item-empty", pk: azcosmos.NewPartitionKey(), values: []any{}})
			got := readManyRouting(t, map[string]any{"paths": []string{"/pk"}, "kind": "Hash", "version": tc.version}, ranges, items)
			used := map[string]bool{}
			for _, it := range items {
				want := expectRanges(ranges, pointRange(t, it.values, tc.version))
				if len(want) != 1 {
					t.Fatalf("%s: Compute places key in %v", it.id, want)
				}
				if !reflect.DeepEqual(got[it.id], want) {
					t.Errorf("%s (%v): SDK routed to %v, Compute says %v", it.id, it.values, got[it.id], want)
				}
				used[want[0]] = true
			}
			if len(used) != tc.n {
				t.Errorf("only %d of %d ranges received keys", len(used), tc.n)
			}
		})
	}
}

func TestSDKRoutingAgreesHierarchical(t *testing.T) {
	ranges := epk.Split(6)
	pkDef := map[string]any{"paths": []string{"/tenant", "/user"}, "kind": "MultiHash", "version": 2}
	var items []routedItem
	for i := 0; i < 200; i++ {
		tenant, user := fmt.Sprintf("t%d", i%13), fmt.Sprintf("u%d", i)
		items = append(items, routedItem{
			id:     fmt.Sprintf("item-%03d", i),
			pk:     azcosmos.NewPartitionKeyString(tenant).AppendString(user),
			values: []any{tenant, user},
		})
	}
	// Prefix keys fan out to every range the prefix overlaps.
	for i := 0; i < 13; i++ {
		tenant := fmt.Sprintf("t%d", i)
		items = append(items, routedItem{
			id:     fmt.Sprintf("item-prefix-%02d", i),
			pk:     azcosmos.NewPartitionKeyString(tenant),
			values: []any{tenant},
		})
	}
	got := readManyRouting(t, pkDef, ranges, items)
	for _, it := range items {
		var r epk.Range
		if len(it.values) == 1 {
			var err error
			if r, err = epk.PrefixRange(it.values, 2); err != nil {
				t.Fatal(err)
			}
		} else {
			r = pointRange(t, it.values, 2)
		}
		want := expectRanges(ranges, r)
		if !reflect.DeepEqual(got[it.id], want) {
			t.Errorf("%s (%v): SDK routed to %v, Compute says %v", it.id, it.values, got[it.id], want)
		}
	}
}

// TestSDKRoutingAfterRuntimeSplits uses boundaries produced by Midpoint, as a
// server that split ranges at run time would publish them.
func TestSDKRoutingAfterRuntimeSplits(t *testing.T) {
	ranges := epk.Split(2)
	for i := 0; i < 5; i++ {
		// split the range holding the most keys' worth of space: alternate
		j := i % len(ranges)
		m, err := epk.Midpoint(ranges[j].Min, ranges[j].Max)
		if err != nil {
			t.Fatal(err)
		}
		ranges = append(ranges[:j], append([]epk.Range{{Min: ranges[j].Min, Max: m}, {Min: m, Max: ranges[j].Max}}, ranges[j+1:]...)...)
	}
	var items []routedItem
	for i := 0; i < 200; i++ {
		s := fmt.Sprintf("k%d", i)
		items = append(items, routedItem{id: fmt.Sprintf("item-%03d", i), pk: azcosmos.NewPartitionKeyString(s), values: []any{s}})
	}
	got := readManyRouting(t, map[string]any{"paths": []string{"/pk"}, "kind": "Hash", "version": 2}, ranges, items)
	for _, it := range items {
		want := expectRanges(ranges, pointRange(t, it.values, 2))
		if !reflect.DeepEqual(got[it.id], want) {
			t.Errorf("%s: SDK routed to %v, Compute says %v", it.id, got[it.id], want)
		}
	}
}
