package changefeed

import (
	"encoding/json"
	"maps"
	"time"
)

// leaseDoc is one lease document in the lease container, with the fields the
// .NET change feed processor writes for a feed-range lease
// (DocumentServiceLeaseCoreEpk, version 1), so someone who knows those leases
// reads these the same way. One lease covers one feed range of the monitored
// container; its id is the processor's prefix, "..", and the lease token.
type leaseDoc struct {
	ID         string     `json:"id"`
	Version    int        `json:"version"`
	LeaseToken string     `json:"LeaseToken"`
	FeedRange  feedRangeJ `json:"FeedRange"`
	// Owner is the instance holding the lease; null when nobody does.
	Owner nullString `json:"Owner"`
	// ContinuationToken is the change feed position (the ETag of the last
	// page whose batch the handler accepted); null before the first one.
	ContinuationToken nullString `json:"ContinuationToken"`
	// Timestamp is when the lease was last written; a lease whose owner has
	// not written it for the expiration interval is free to take.
	Timestamp  time.Time         `json:"timestamp"`
	Properties map[string]string `json:"properties"`
	Mode       string            `json:"Mode"`

	etag string // the document's _etag, the If-Match of the next write
}

// storedLease is a lease document as read back, with the system properties
// that are never written.
type storedLease struct {
	leaseDoc
	ETag string `json:"_etag"`
	TS   int64  `json:"_ts"`
}

// leaseVersionEPK is the .NET processor's version number for leases that name
// their feed range by effective partition key bounds.
const leaseVersionEPK = 1

// modeIncremental is the change feed mode the .NET processor records: the
// A-IM header value of the latest-version feed.
const modeIncremental = "Incremental Feed"

// feedRange is a half-open range [Min, Max) of effective partition keys.
type feedRange struct {
	Min string `json:"min"`
	Max string `json:"max"`
}

// token is the lease token the .NET processor gives a feed-range lease.
func (r feedRange) token() string { return r.Min + "-" + r.Max }

// feedRangeJ is the JSON shape of a lease's FeedRange (FeedRangeEpk).
type feedRangeJ struct {
	Range feedRange `json:"Range"`
}

// decodeLease parses a stored lease document. The timestamp falls back to
// the server's _ts, as the .NET processor's does.
func decodeLease(b []byte) (leaseDoc, error) {
	var s storedLease
	if err := json.Unmarshal(b, &s); err != nil {
		return leaseDoc{}, err
	}
	d := s.leaseDoc
	d.etag = s.ETag
	if d.Timestamp.IsZero() && s.TS > 0 {
		d.Timestamp = time.Unix(s.TS, 0).UTC()
	}
	return d, nil
}

// expired says whether the lease is free to take at now: nobody owns it, or
// its owner has not written it for the expiration interval.
func (d leaseDoc) expired(now time.Time, expiration time.Duration) bool {
	return d.Owner == "" || d.Timestamp.Add(expiration).Before(now)
}

// clone returns a copy that shares nothing mutable with d.
func (d leaseDoc) clone() leaseDoc {
	d.Properties = maps.Clone(d.Properties)
	return d
}

// nullString is a string stored as JSON null when empty, as the .NET
// processor stores an absent owner or continuation.
type nullString string

// MarshalJSON implements json.Marshaler.
func (s nullString) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(s))
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *nullString) UnmarshalJSON(b []byte) error {
	var v *string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = ""
	if v != nil {
		*s = nullString(*v)
	}
	return nil
}
