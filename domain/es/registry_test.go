package es_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"orderctx/domain/es"
)

// incrementedV1 stored the amount as "amount"; v2 calls it "by".
func upcastIncrementedV1(data json.RawMessage) (json.RawMessage, error) {
	var v1 struct {
		Amount int `json:"amount"`
	}
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	return json.Marshal(map[string]int{"by": v1.Amount})
}

func newTestRegistry(t *testing.T) *es.Registry {
	t.Helper()
	r := es.NewRegistry()
	if err := r.Register("test.incremented", 2, func() es.Payload { return new(incremented) }); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("test.renamed", 1, func() es.Payload { return new(renamed) }); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterUpcaster("test.incremented", 1, upcastIncrementedV1); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegistryRoundTrip(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	for _, p := range []es.Payload{incremented{By: 3}, renamed{Name: "x"}} {
		name, version, data, err := r.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if name != p.EventType() {
			t.Fatalf("type = %q, want %q", name, p.EventType())
		}
		got, err := r.Decode(name, version, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("decoded %#v, want %#v", got, p)
		}
	}
	if got, want := r.Types(), []string{"test.incremented", "test.renamed"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Types = %v, want %v", got, want)
	}
}

func TestRegistryUpcasts(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	got, err := r.Decode("test.incremented", 1, json.RawMessage(`{"amount":7}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (incremented{By: 7}); got != want {
		t.Fatalf("decoded %#v, want %#v", got, want)
	}
}

func TestRegistryDecodeErrors(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	noUp := es.NewRegistry()
	if err := noUp.Register("test.incremented", 3, func() es.Payload { return new(incremented) }); err != nil {
		t.Fatal(err)
	}
	if err := noUp.RegisterUpcaster("test.incremented", 1, upcastIncrementedV1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		r       *es.Registry
		typ     string
		version int
		data    string
		want    error
		rule    string
	}{
		{name: "unknown type", r: r, typ: "test.nope", version: 1, data: `{}`, want: es.ErrUnknownEventType},
		{name: "newer than current", r: r, typ: "test.incremented", version: 3, data: `{}`, want: es.ErrUnsupportedSchema},
		{name: "version zero", r: r, typ: "test.incremented", version: 0, data: `{}`, want: es.ErrUnsupportedSchema},
		{name: "missing upcaster", r: noUp, typ: "test.incremented", version: 1, data: `{"amount":1}`, want: es.ErrMissingUpcaster},
		{name: "upcaster fails", r: r, typ: "test.incremented", version: 1, data: `[1]`, rule: es.RuleCorruptHistory},
		{name: "bad json", r: r, typ: "test.renamed", version: 1, data: `{"name":1}`, rule: es.RuleCorruptHistory},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.r.Decode(tc.typ, tc.version, json.RawMessage(tc.data))
			if err == nil {
				t.Fatal("Decode succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.rule != "" && es.ErrorRule(err) != tc.rule {
				t.Fatalf("err = %v, want rule %s", err, tc.rule)
			}
			if es.ErrorCode(err) != es.Internal {
				t.Fatalf("code = %s, want internal", es.ErrorCode(err))
			}
		})
	}
}

func TestRegistryRegisterErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		do   func(r *es.Registry) error
	}{
		{name: "empty name", do: func(r *es.Registry) error { return r.Register("", 1, func() es.Payload { return new(renamed) }) }},
		{name: "version zero", do: func(r *es.Registry) error {
			return r.Register("test.renamed", 0, func() es.Payload { return new(renamed) })
		}},
		{name: "nil constructor", do: func(r *es.Registry) error { return r.Register("test.renamed", 1, nil) }},
		{name: "constructor returns value", do: func(r *es.Registry) error {
			return r.Register("test.renamed", 1, func() es.Payload { return renamed{} })
		}},
		{name: "constructor returns nil pointer", do: func(r *es.Registry) error {
			return r.Register("test.renamed", 1, func() es.Payload { return (*renamed)(nil) })
		}},
		{name: "name disagrees with payload", do: func(r *es.Registry) error {
			return r.Register("test.other", 1, func() es.Payload { return new(renamed) })
		}},
		{name: "duplicate", do: func(r *es.Registry) error {
			return r.Register("test.renamed", 1, func() es.Payload { return new(renamed) })
		}},
		{name: "upcaster for unknown type", do: func(r *es.Registry) error { return r.RegisterUpcaster("test.nope", 1, upcastIncrementedV1) }},
		{name: "upcaster at current version", do: func(r *es.Registry) error {
			return r.RegisterUpcaster("test.incremented", 2, upcastIncrementedV1)
		}},
		{name: "duplicate upcaster", do: func(r *es.Registry) error {
			return r.RegisterUpcaster("test.incremented", 1, upcastIncrementedV1)
		}},
		{name: "nil upcaster", do: func(r *es.Registry) error { return r.RegisterUpcaster("test.incremented", 1, nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.do(newTestRegistry(t))
			if es.ErrorRule(err) != es.RuleRegistration {
				t.Fatalf("err = %v, want rule %s", err, es.RuleRegistration)
			}
		})
	}
}

func TestRegistryEncodeErrors(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	if _, _, _, err := r.Encode(unregistered{}); !errors.Is(err, es.ErrUnknownEventType) {
		t.Fatalf("unregistered: err = %v", err)
	}
	if _, _, _, err := r.Encode(&renamed{Name: "x"}); err == nil {
		t.Fatal("encoding a pointer payload succeeded")
	}
	if _, _, _, err := r.Encode(nil); err == nil {
		t.Fatal("encoding nil succeeded")
	}
}

func TestRegistryStampAndEnvelopes(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t)
	at := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	n := 0
	ids := func() string { n++; return strings.Repeat("x", n) }
	cause := es.Causation{CommandID: "cmd", CorrelationID: "corr", CausationID: "cause"}
	envs, err := r.Stamp("c-1", 4, []es.Payload{incremented{By: 1}, renamed{Name: "r"}}, cause, at, ids)
	if err != nil {
		t.Fatal(err)
	}
	want := []es.Envelope{
		{Type: "test.incremented", SchemaVersion: 2, Payload: incremented{By: 1}, Metadata: es.Metadata{EventID: "x", StreamID: "c-1", Version: 5, CommandID: "cmd", CorrelationID: "corr", CausationID: "cause", OccurredAt: at}},
		{Type: "test.renamed", SchemaVersion: 1, Payload: renamed{Name: "r"}, Metadata: es.Metadata{EventID: "xx", StreamID: "c-1", Version: 6, CommandID: "cmd", CorrelationID: "corr", CausationID: "cause", OccurredAt: at}},
	}
	if !reflect.DeepEqual(envs, want) {
		t.Fatalf("Stamp =\n%#v\nwant\n%#v", envs, want)
	}
	for _, e := range envs {
		enc, err := r.EncodeEnvelope(e)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := r.DecodeEvent(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(dec, e) {
			t.Fatalf("round trip = %#v, want %#v", dec, e)
		}
	}
	if _, err := r.Stamp("c-1", 0, []es.Payload{unregistered{}}, cause, at, nil); !errors.Is(err, es.ErrUnknownEventType) {
		t.Fatalf("Stamp of unknown payload: err = %v", err)
	}
	old := es.EncodedEvent{Type: "test.incremented", SchemaVersion: 1, Data: json.RawMessage(`{"amount":4}`), Metadata: es.Metadata{StreamID: "c-1", Version: 1}}
	dec, err := r.DecodeEvent(old)
	if err != nil {
		t.Fatal(err)
	}
	if dec.SchemaVersion != 2 || dec.Payload != (incremented{By: 4}) {
		t.Fatalf("DecodeEvent(v1) = %#v", dec)
	}
}

func TestNewEventID(t *testing.T) {
	t.Parallel()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := es.NewEventID()
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

// versioned names its type and schema version itself.
type versioned struct {
	N int `json:"n"`
}

func (versioned) EventType() string  { return "test.versioned" }
func (versioned) SchemaVersion() int { return 3 }

func TestRegisterFromType(t *testing.T) {
	t.Parallel()
	r := es.NewRegistry()
	if err := es.Register[versioned](r); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.SchemaVersion("test.versioned"); !ok || v != 3 {
		t.Fatalf("schema version = %d, %v; want 3", v, ok)
	}
	name, v, data, err := r.Encode(versioned{N: 7})
	if err != nil || name != "test.versioned" || v != 3 {
		t.Fatalf("encode = %s v%d, %v", name, v, err)
	}
	p, err := r.Decode(name, v, data)
	if err != nil || p != (versioned{N: 7}) {
		t.Fatalf("decode = %#v, %v; want the value type back", p, err)
	}
	if err := es.Register[versioned](r); err == nil {
		t.Fatal("registering a type twice succeeded")
	}
}
