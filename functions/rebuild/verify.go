package rebuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// entry is what a comparison keeps of an order's view: its version and a
// digest of its content.
type entry struct {
	version int64
	sum     [sha256.Size]byte
}

// census is one copy of the order views, by order id.
type census map[string]entry

// side is one copy being compared: sync brings its census up to date (a
// change feed continues where it was; a table is read again).
type side interface {
	sync(ctx context.Context, c census) error
}

// Differences is what a comparison found, by order id.
type Differences struct {
	// Same counts orders identical in both copies.
	Same int
	// Differ are orders at the same version with different content: the
	// copies were not made by the same fold. Never lag.
	Differ []string
	// LiveAhead and NewAhead are orders at different versions; Missing are
	// in the live copy only, Extra in the new one only. Lag, unless they
	// stay.
	LiveAhead, NewAhead, Missing, Extra []string
}

// lagging reports whether some differences may still be lag.
func (d Differences) lagging() bool {
	return len(d.LiveAhead)+len(d.NewAhead)+len(d.Missing)+len(d.Extra) > 0
}

// OK reports whether the copies are identical.
func (d Differences) OK() bool { return len(d.Differ) == 0 && !d.lagging() }

// String lists the differences, a few examples each.
func (d Differences) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d orders identical", d.Same)
	for _, g := range []struct {
		what string
		ids  []string
	}{{"differ at the same version", d.Differ}, {"are newer in the live copy", d.LiveAhead},
		{"are newer in the new copy", d.NewAhead}, {"are missing from the new copy", d.Missing},
		{"are only in the new copy", d.Extra}} {
		if len(g.ids) > 0 {
			fmt.Fprintf(&b, "; %d %s (%s)", len(g.ids), g.what, examples(g.ids))
		}
	}
	return b.String()
}

func examples(ids []string) string {
	slices.Sort(ids)
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + ", ..."
	}
	return strings.Join(ids, ", ")
}

func compare(live, next census) Differences {
	var d Differences
	for id, l := range live {
		n, ok := next[id]
		switch {
		case !ok:
			d.Missing = append(d.Missing, id)
		case l.version > n.version:
			d.LiveAhead = append(d.LiveAhead, id)
		case l.version < n.version:
			d.NewAhead = append(d.NewAhead, id)
		case l.sum != n.sum:
			d.Differ = append(d.Differ, id)
		default:
			d.Same++
		}
	}
	for id := range next {
		if _, ok := live[id]; !ok {
			d.Extra = append(d.Extra, id)
		}
	}
	return d
}

// verifyRound is the pause between comparisons while differences may be lag.
const verifyRound = 200 * time.Millisecond

// verify compares two copies until they are identical, only differences
// that cannot be lag remain, or timeout passes: both copies are being
// written meanwhile (the live projector, the rebuild's reader), so an order
// newer in one of them is compared again until the other catches up.
func verify(ctx context.Context, live, next side, timeout time.Duration, m *meter) (Differences, error) {
	lc, nc := census{}, census{}
	deadline := time.Now().Add(timeout)
	for {
		if err := live.sync(ctx, lc); err != nil {
			return Differences{}, err
		}
		if err := next.sync(ctx, nc); err != nil {
			return Differences{}, err
		}
		d := compare(lc, nc)
		if !d.lagging() || time.Now().After(deadline) {
			return d, nil
		}
		m.show(Progress{Phase: "verifying", Unit: "orders identical", Processed: int64(d.Same), Behind: int64(len(lc) - d.Same)})
		select {
		case <-ctx.Done():
			return d, context.Cause(ctx)
		case <-time.After(verifyRound):
		}
	}
}

// systemProperties are the members Cosmos DB adds to every document; they
// differ between two copies of the same view.
var systemProperties = []string{"_rid", "_self", "_etag", "_attachments", "_ts", "_lsn"}

// digestDocument reads a stored view document: its id, version and a digest
// of its members other than the system properties, in a canonical order.
func digestDocument(doc []byte) (string, entry, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return "", entry{}, fmt.Errorf("a views document does not decode: %w", err)
	}
	for _, p := range systemProperties {
		delete(m, p)
	}
	var id string
	var version int64
	if err := json.Unmarshal(m["id"], &id); err != nil || id == "" {
		return "", entry{}, fmt.Errorf("a views document has no id: %.100s", doc)
	}
	_ = json.Unmarshal(m["version"], &version)
	canonical, err := canonicalJSON(m)
	if err != nil {
		return "", entry{}, err
	}
	return id, entry{version: version, sum: sha256.Sum256(canonical)}, nil
}

// canonicalJSON writes members sorted by name, nested values compacted and
// with their own members sorted (through a generic decode).
func canonicalJSON(m map[string]json.RawMessage) ([]byte, error) {
	generic := make(map[string]any, len(m))
	for k, v := range m {
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return nil, err
		}
		generic[k] = x
	}
	return json.Marshal(generic)
}
