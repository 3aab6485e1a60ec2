package readmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"orderctx/domain/order"
	"orderctx/queryapi/internal/jsonscan"
)

// Statuses lists the statuses a view can have, in lifecycle order: those of
// the order aggregate, which the projector copies.
var Statuses = []string{
	string(order.StatusSubmitted), string(order.StatusPaid), string(order.StatusShipped), string(order.StatusCancelled),
}

// View is one order's read model as the projector wrote it: the indexed
// fields parsed out, and the whole document (without Cosmos DB's system
// properties) kept as bytes to be served unchanged. A View never changes
// once built; an update replaces it, so readers may keep and serve one
// after releasing the model's lock.
type View struct {
	ID       string
	Status   string
	BuyerID  string
	Currency string
	Total    int64
	PlacedAt time.Time
	Version  int64
	// Doc is the stored document without system properties, compact JSON.
	Doc []byte
	// ETag is the strong entity tag of Doc: its version, quoted.
	ETag string
	// Seq is the instance-local position at which the model applied this
	// view (see Model.Apply); it orders changes for subscribers.
	Seq uint64

	placedKey int64 // PlacedAt in Unix nanoseconds, the sort key
}

// systemProperties are the members Cosmos DB adds to every stored document.
// They describe the storage, not the order, and differ between accounts and
// copies, so they are dropped before a view is served.
var systemProperties = map[string]bool{
	"_etag": true, "_ts": true, "_lsn": true, "_rid": true, "_self": true, "_attachments": true,
}

// ErrInvalidView is wrapped by every error of ParseView.
var ErrInvalidView = errors.New("invalid view document")

// ParseView reads a view document as stored: it picks the indexed members
// (id, status, buyerId, currency, total, placedAt, version) and keeps every
// other member as it is, dropping the system properties. id, status and a
// positive version are required; a member of the wrong type is an error.
func ParseView(doc []byte) (*View, error) {
	return parseView(doc, make([]byte, 0, len(doc)))
}

// ParseOwnedView is ParseView for a document the caller hands over: the
// view is written into doc's own memory (it is never longer than doc), so
// loading a feed page allocates no second copy of every document. The
// caller must not use doc afterwards.
func ParseOwnedView(doc []byte) (*View, error) {
	return parseView(doc, doc[:0])
}

// parseView writes the view into out. out may share doc's memory: every
// member is decoded before it is copied, and the copy never runs ahead of
// the reading, because dropping members and whitespace only shrinks.
func parseView(doc, out []byte) (*View, error) {
	v := &View{}
	out = append(out, '{')
	err := jsonscan.Members(doc, func(key, value []byte) error {
		if systemProperties[string(key)] {
			return nil
		}
		if err := v.setIndexed(key, value); err != nil {
			return err
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, key...)
		out = append(out, '"', ':')
		out = append(out, value...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidView, err)
	}
	if err := v.check(); err != nil {
		return nil, err
	}
	out = append(out, '}')
	if bytes.ContainsAny(out, "\n\r\t") {
		// Whitespace only ever sits between tokens (JSON strings cannot hold
		// raw control characters), so compacting changes no value; it keeps
		// every document one line, as server-sent events need.
		var buf bytes.Buffer
		if err := json.Compact(&buf, out); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidView, err)
		}
		out = buf.Bytes()
	}
	v.Doc = out
	v.ETag = `"` + strconv.FormatInt(v.Version, 10) + `"`
	return v, nil
}

// setIndexed decodes a member the model indexes; others are ignored.
func (v *View) setIndexed(key, value []byte) error {
	var err error
	switch string(key) {
	case "id":
		v.ID, err = jsonscan.String(value)
	case "status":
		v.Status, err = jsonscan.String(value)
		v.Status = intern(v.Status)
	case "buyerId":
		v.BuyerID, err = optionalString(value)
	case "currency":
		v.Currency, err = optionalString(value)
		v.Currency = intern(v.Currency)
	case "total":
		if !jsonscan.IsNull(value) {
			v.Total, err = jsonscan.Int(value)
		}
	case "version":
		v.Version, err = jsonscan.Int(value)
	case "placedAt":
		var s string
		if s, err = optionalString(value); err == nil && s != "" {
			v.PlacedAt, err = time.Parse(time.RFC3339Nano, s)
			v.placedKey = v.PlacedAt.UnixNano()
		}
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: member %s: %w", ErrInvalidView, key, err)
	}
	return nil
}

func (v *View) check() error {
	switch {
	case v.ID == "":
		return fmt.Errorf("%w: no id", ErrInvalidView)
	case v.Status == "":
		return fmt.Errorf("%w: order %s: no status", ErrInvalidView, v.ID)
	case v.Version < 1:
		return fmt.Errorf("%w: order %s: version %d is not positive", ErrInvalidView, v.ID, v.Version)
	}
	return nil
}

func optionalString(value []byte) (string, error) {
	if jsonscan.IsNull(value) {
		return "", nil
	}
	return jsonscan.String(value)
}

// interned holds the few distinct statuses and currencies once, so 100,000
// views do not keep 100,000 copies of "EUR". It is bounded: values beyond
// its size are kept as they are.
var interned = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

const maxInterned = 1024

func intern(s string) string {
	interned.Lock()
	defer interned.Unlock()
	if v, ok := interned.m[s]; ok {
		return v
	}
	if len(interned.m) < maxInterned {
		interned.m[s] = s
	}
	return s
}
