package es

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"
)

// Upcaster turns the raw JSON of one schema version of an event type into the
// raw JSON of the next version. Working on raw JSON keeps old Go types out of
// the code base: only the current payload type exists.
type Upcaster func(json.RawMessage) (json.RawMessage, error)

// Registry maps logical event type names to payload types and schema versions
// and knows how to upcast stored payloads. Register everything at start-up;
// afterwards a Registry is safe for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	types     map[string]registeredType
	upcasters map[upcastKey]Upcaster
}

type registeredType struct {
	version    int
	newPayload func() Payload
	valueType  reflect.Type
}

type upcastKey struct {
	eventType string
	from      int
}

var payloadInterface = reflect.TypeFor[Payload]()

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		types:     make(map[string]registeredType),
		upcasters: make(map[upcastKey]Upcaster),
	}
}

// Register adds an event type with its current schema version. newPayload must
// return a new pointer to a zero payload whose value type implements Payload
// with EventType() == eventType; Decode fills it and returns the value (not the
// pointer), so an aggregate sees the same Go type that it recorded. Registering
// a name twice is an error, because two payload types for one name would make
// stored events ambiguous.
func (r *Registry) Register(eventType string, schemaVersion int, newPayload func() Payload) error {
	if eventType == "" {
		return Errorf(Internal, RuleRegistration, "register: empty event type")
	}
	if schemaVersion < 1 {
		return Errorf(Internal, RuleRegistration, "register %s: schema version %d < 1", eventType, schemaVersion)
	}
	if newPayload == nil {
		return Errorf(Internal, RuleRegistration, "register %s: nil payload constructor", eventType)
	}
	sample := newPayload()
	rv := reflect.ValueOf(sample)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return Errorf(Internal, RuleRegistration, "register %s: constructor must return a non-nil pointer, got %T", eventType, sample)
	}
	valueType := rv.Type().Elem()
	if !valueType.Implements(payloadInterface) {
		return Errorf(Internal, RuleRegistration, "register %s: %s does not implement Payload", eventType, valueType)
	}
	if got := reflect.Zero(valueType).Interface().(Payload).EventType(); got != eventType {
		return Errorf(Internal, RuleRegistration, "register %s: %s reports event type %q", eventType, valueType, got)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.types[eventType]; dup {
		return Errorf(Internal, RuleRegistration, "register %s: already registered", eventType)
	}
	r.types[eventType] = registeredType{version: schemaVersion, newPayload: newPayload, valueType: valueType}
	return nil
}

// VersionedPayload is a payload that names its current schema version, so
// that it can be registered from its type alone (Register).
type VersionedPayload interface {
	Payload
	SchemaVersion() int
}

// Register adds the event type T under the name and current schema version
// that T itself reports, so each event is spelled once, in its type.
func Register[T VersionedPayload](r *Registry) error {
	var zero T
	// *T has T's methods, so the assertion always holds.
	return r.Register(zero.EventType(), zero.SchemaVersion(), func() Payload { return any(new(T)).(Payload) })
}

// RegisterUpcaster adds the step from fromVersion to fromVersion+1 of a
// registered event type. Steps are chained when decoding, so each release only
// writes the step from the previous version.
func (r *Registry) RegisterUpcaster(eventType string, fromVersion int, up Upcaster) error {
	if up == nil {
		return Errorf(Internal, RuleRegistration, "upcaster %s v%d: nil function", eventType, fromVersion)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.types[eventType]
	if !ok {
		return Errorf(Internal, RuleRegistration, "upcaster %s v%d: event type not registered", eventType, fromVersion)
	}
	if fromVersion < 1 || fromVersion >= t.version {
		return Errorf(Internal, RuleRegistration, "upcaster %s v%d: must start below the current version %d", eventType, fromVersion, t.version)
	}
	key := upcastKey{eventType, fromVersion}
	if _, dup := r.upcasters[key]; dup {
		return Errorf(Internal, RuleRegistration, "upcaster %s v%d: already registered", eventType, fromVersion)
	}
	r.upcasters[key] = up
	return nil
}

// SchemaVersion returns the current schema version of an event type.
func (r *Registry) SchemaVersion(eventType string) (int, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.types[eventType]
	return t.version, ok
}

// Types returns the registered event type names, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (r *Registry) lookup(p Payload) (string, registeredType, error) {
	if p == nil {
		return "", registeredType{}, Errorf(Internal, RuleUnknownEventType, "encode: nil payload")
	}
	name := p.EventType()
	r.mu.RLock()
	t, ok := r.types[name]
	r.mu.RUnlock()
	if !ok {
		return "", registeredType{}, fmt.Errorf("encode %s: %w", name, ErrUnknownEventType)
	}
	// A payload of another Go type (or a pointer) would decode differently from
	// how it was recorded, so the replayed state could drift from the live one.
	if got := reflect.TypeOf(p); got != t.valueType {
		return "", registeredType{}, Errorf(Internal, RuleRegistration, "encode %s: payload is %s, registered as %s", name, got, t.valueType)
	}
	return name, t, nil
}

// Encode returns the event type, current schema version and JSON of a payload.
// It returns an error wrapping ErrUnknownEventType for an unregistered type.
func (r *Registry) Encode(p Payload) (eventType string, schemaVersion int, data json.RawMessage, err error) {
	name, t, err := r.lookup(p)
	if err != nil {
		return "", 0, nil, err
	}
	data, err = json.Marshal(p)
	if err != nil {
		return "", 0, nil, Errorf(Internal, RuleRegistration, "encode %s: %v", name, err)
	}
	return name, t.version, data, nil
}

// Decode upcasts the JSON of a stored payload step by step from schemaVersion
// to the current version and unmarshals it into the registered payload type.
// It returns errors wrapping ErrUnknownEventType, ErrMissingUpcaster or
// ErrUnsupportedSchema. Unknown JSON fields are ignored, so additive changes
// to a payload need no new schema version.
func (r *Registry) Decode(eventType string, schemaVersion int, data json.RawMessage) (Payload, error) {
	r.mu.RLock()
	t, ok := r.types[eventType]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("decode %s v%d: %w", eventType, schemaVersion, ErrUnknownEventType)
	}
	if schemaVersion < 1 || schemaVersion > t.version {
		return nil, fmt.Errorf("decode %s v%d (current v%d): %w", eventType, schemaVersion, t.version, ErrUnsupportedSchema)
	}
	for v := schemaVersion; v < t.version; v++ {
		r.mu.RLock()
		up, ok := r.upcasters[upcastKey{eventType, v}]
		r.mu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("decode %s v%d -> v%d: %w", eventType, v, v+1, ErrMissingUpcaster)
		}
		next, err := up(data)
		if err != nil {
			return nil, Errorf(Internal, RuleCorruptHistory, "decode %s: upcast v%d -> v%d: %v", eventType, v, v+1, err)
		}
		data = next
	}
	ptr := t.newPayload()
	if err := json.Unmarshal(data, ptr); err != nil {
		return nil, Errorf(Internal, RuleCorruptHistory, "decode %s v%d: %v", eventType, t.version, err)
	}
	return reflect.ValueOf(ptr).Elem().Interface().(Payload), nil
}

// EncodeEnvelope encodes the payload of an envelope for storage, keeping its
// metadata. The stored type and version always come from the registry.
func (r *Registry) EncodeEnvelope(e Envelope) (EncodedEvent, error) {
	name, version, data, err := r.Encode(e.Payload)
	if err != nil {
		return EncodedEvent{}, err
	}
	return EncodedEvent{Type: name, SchemaVersion: version, Data: data, Metadata: e.Metadata}, nil
}

// DecodeEvent decodes (and upcasts) a stored event into an envelope in the
// current schema.
func (r *Registry) DecodeEvent(e EncodedEvent) (Envelope, error) {
	p, err := r.Decode(e.Type, e.SchemaVersion, e.Data)
	if err != nil {
		return Envelope{}, fmt.Errorf("event %s@%d: %w", e.StreamID, e.Version, err)
	}
	version, _ := r.SchemaVersion(e.Type)
	return Envelope{Type: e.Type, SchemaVersion: version, Payload: p, Metadata: e.Metadata}, nil
}

// Stamp wraps the pending payloads of one command in envelopes with versions
// afterVersion+1, afterVersion+2, ..., the causation ids and the time at which
// they are recorded. newEventID may be nil, in which case NewEventID is used.
// Every payload must be registered, so an unknown type fails before anything
// reaches the store.
func (r *Registry) Stamp(streamID string, afterVersion int64, payloads []Payload, c Causation, at time.Time, newEventID func() string) ([]Envelope, error) {
	if newEventID == nil {
		newEventID = NewEventID
	}
	out := make([]Envelope, 0, len(payloads))
	for i, p := range payloads {
		name, t, err := r.lookup(p)
		if err != nil {
			return nil, err
		}
		out = append(out, Envelope{
			Type:          name,
			SchemaVersion: t.version,
			Payload:       p,
			Metadata: Metadata{
				EventID:       newEventID(),
				StreamID:      streamID,
				Version:       afterVersion + int64(i) + 1,
				CommandID:     c.CommandID,
				CorrelationID: c.CorrelationID,
				CausationID:   c.CausationID,
				OccurredAt:    at,
			},
		})
	}
	return out, nil
}
