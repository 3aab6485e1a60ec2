package parking

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"orderctx/domain/es"
)

// item is one document of a batch, decoded as far as it goes.
type item struct {
	raw json.RawMessage
	env es.Envelope
	// err is why the document cannot be decoded; env then holds what is known.
	err error
}

// decode reads an event document into an envelope through the registry,
// which upcasts old payload schemas. Everything that fails here fails the
// same way on every retry, so it is poison.
func decode(reg *es.Registry, raw json.RawMessage) item {
	it := item{raw: raw}
	var doc es.EncodedEvent
	if err := json.Unmarshal(raw, &doc); err != nil {
		it.env.StreamID, it.env.Version = Salvage(raw)
		it.err = fmt.Errorf("not an event document: %w", err)
		return it
	}
	it.env = es.Envelope{Type: doc.Type, SchemaVersion: doc.SchemaVersion, Metadata: doc.Metadata}
	switch {
	case doc.StreamID == "":
		it.err = fmt.Errorf("event document without streamId")
	case doc.Version < 1:
		it.err = fmt.Errorf("event document with version %d", doc.Version)
	default:
		env, err := reg.DecodeEvent(doc)
		if err != nil {
			it.err = err
			return it
		}
		it.env = env
	}
	return it
}

// Salvage reads stream and version from an event document that does not
// decode as a whole (say, a bad timestamp), so that its stream can still be
// parked behind it; "" and 0 when it cannot, version 0 when only the stream
// can be read.
func Salvage(raw json.RawMessage) (string, int64) {
	var partial struct {
		StreamID string          `json:"streamId"`
		Version  json.RawMessage `json:"version"`
	}
	if json.Unmarshal(raw, &partial) != nil {
		return "", 0
	}
	v, err := strconv.ParseInt(string(partial.Version), 10, 64)
	if err != nil || v < 1 {
		v = 0
	}
	return partial.StreamID, v
}

// letterID names a letter: the event document's id when stream and version
// are known, else a hash of the document, so parking it again is a no-op.
func letterID(streamID string, version int64, raw []byte) string {
	if streamID != "" && version > 0 {
		return streamID + ":" + strconv.FormatInt(version, 10)
	}
	sum := sha256.Sum256(raw)
	return "undecodable-" + hex.EncodeToString(sum[:16])
}
