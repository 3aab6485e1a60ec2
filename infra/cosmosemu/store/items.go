package store

import (
	"bytes"
	"encoding/json"
	"strconv"

	"orderctx/infra/cosmosemu/epk"
)

// Limits Cosmos DB enforces on items.
const (
	MaxItemBytes = 2 * 1024 * 1024
	MaxIDLength  = 1023
)

// PartitionKey identifies a logical partition as a request names it.
type PartitionKey struct {
	Values []any
	Key    string
}

// NewPartitionKey builds a PartitionKey from decoded component values.
func NewPartitionKey(values []any) PartitionKey {
	return PartitionKey{Values: values, Key: PartitionKeyString(values)}
}

// prepared is an item body checked and stripped of system properties,
// waiting for its LSN-dependent system properties.
type prepared struct {
	id     string
	prefix []byte // the JSON object without its closing brace
	ttl    []byte // the raw "ttl" property, if any
}

// pkValues extracts the partition key values of an item given a lookup of
// its top-level properties.
func (c *Container) pkValues(get func(string) ([]byte, bool)) ([]any, error) {
	values := make([]any, len(c.pkPaths))
	for i, path := range c.pkPaths {
		raw, ok := get(path[0])
		if !ok {
			values[i] = epk.Undefined{}
			continue
		}
		var v any
		if len(path) == 1 && len(raw) > 1 && raw[0] == '"' && plainString(raw) {
			v = string(raw[1 : len(raw)-1])
		} else if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		for _, seg := range path[1:] {
			m, ok := v.(map[string]any)
			if !ok {
				v = epk.Undefined{}
				break
			}
			if v, ok = m[unescapePathSegment(seg)]; !ok {
				v = epk.Undefined{}
				break
			}
		}
		switch v.(type) {
		case map[string]any, []any:
			// Cosmos DB treats an object or array at the key path as undefined.
			v = epk.Undefined{}
		}
		values[i] = v
	}
	return values, nil
}

// plainString reports whether a raw JSON string literal has no escapes or
// non-ASCII bytes, so its content can be taken as is.
func plainString(raw []byte) bool {
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func unescapePathSegment(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// prepare validates an item body against the partition key the request names.
func (c *Container) prepare(body []byte, pk PartitionKey) (*prepared, *Error) {
	if len(body) > MaxItemBytes {
		return nil, errf(413, "RequestEntityTooLarge", "Request size is too large: an item is at most %d bytes.", MaxItemBytes)
	}
	members, err := scanObject(body)
	if err != nil {
		return nil, errBadRequest("The input content is invalid: the item must be a JSON object (%v).", err)
	}
	var id string
	var idRaw, ttl []byte
	hasSystem := false
	for _, m := range members {
		switch {
		case m.key == "id":
			idRaw = m.raw
		case m.key == "ttl":
			ttl = m.raw
		case len(m.key) > 0 && m.key[0] == '_' && isSystemProp(m.key):
			hasSystem = true
		}
	}
	if idRaw == nil || idRaw[0] != '"' {
		return nil, errBadRequest("The input content is invalid because the required properties - 'id; ' - are missing")
	}
	if plainString(idRaw) {
		id = string(idRaw[1 : len(idRaw)-1])
	} else if json.Unmarshal(idRaw, &id) != nil {
		return nil, errBadRequest("The id is not a valid string.")
	}
	// Like Cosmos DB, any id of 1 to 1023 characters is stored; ids with '/',
	// '\\', '#', percent signs or trailing spaces cannot be addressed by
	// point operations afterwards (see gatewaySegments in the server).
	if id == "" || len(id) > MaxIDLength {
		return nil, errBadRequest("The id %q is invalid: it must be 1 to %d characters.", truncate(id, 64), MaxIDLength)
	}
	values, verr := c.pkValues(func(name string) ([]byte, bool) {
		for _, m := range members {
			if m.key == name {
				return m.raw, true
			}
		}
		return nil, false
	})
	if verr != nil {
		return nil, errBadRequest("The partition key value in the item is invalid: %v", verr)
	}
	if PartitionKeyString(values) != pk.Key {
		return nil, errBadRequest("PartitionKey extracted from document doesn't match the one specified in the header. Learn more: https://aka.ms/CosmosDB/sql/errors/wrong-pk-value")
	}
	p := &prepared{id: id, ttl: ttl}
	if hasSystem {
		// Rebuild without the stale system properties the client echoed back.
		top := make(map[string]json.RawMessage, len(members))
		for _, m := range members {
			top[m.key] = m.raw
		}
		stripSystem(top)
		b, _ := json.Marshal(top)
		p.prefix = b[:len(b)-1]
	} else {
		trimmed := bytes.TrimRight(body, " \t\r\n")
		p.prefix = append(make([]byte, 0, len(trimmed)+160), trimmed[:len(trimmed)-1]...)
	}
	return p, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// finish appends the system properties; called under c.mu with the new LSN.
func (c *Container) finish(p *prepared, seq, lsn uint64, ts int64) *Doc {
	etag := makeETag(4, c.meta.Seq, lsn)
	b := bytes.TrimRight(p.prefix, " \t\r\n")
	if len(b) > 1 {
		b = append(b, ',')
	}
	rid := docRID(c.meta.DBSeq, c.meta.Seq, seq)
	b = append(b, `"_rid":"`...)
	b = append(b, rid...)
	b = append(b, `","_self":"`...)
	b = append(b, c.SelfLink()...)
	b = append(b, "docs/"...)
	b = append(b, rid...)
	b = append(b, `/","_etag":`...)
	b = strconv.AppendQuote(b, etag)
	b = append(b, `,"_attachments":"attachments/","_ts":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"_lsn":`...)
	b = strconv.AppendUint(b, lsn, 10)
	b = append(b, '}')
	d := &Doc{ID: p.id, Body: b, LSN: lsn, TS: ts, Seq: seq, ETag: etag}
	d.Expires = c.expiryOf(p.ttl, ts)
	return d
}

// expiryOf applies Cosmos DB's TTL rules: the container's defaultTtl turns TTL
// on; an item's own ttl overrides it (-1: never expires).
func (c *Container) expiryOf(raw []byte, ts int64) int64 {
	if c.ttl == nil {
		return 0
	}
	ttl := *c.ttl
	if raw != nil {
		var own float64
		if json.Unmarshal(raw, &own) == nil && own != 0 {
			ttl = int64(own)
		}
	}
	if ttl <= 0 {
		return 0
	}
	return ts + ttl
}

// ReadItem returns the current version of an item, once that version (or,
// for a 404, the partition's last change) is durable.
func (c *Container) ReadItem(pk PartitionKey, id string) (*Doc, error) {
	now := c.db.engine.now().Unix()
	c.mu.RLock()
	lp, ok := c.logical[pk.Key]
	if !ok {
		c.mu.RUnlock()
		return nil, errNotFound("item " + id)
	}
	d, ok := lp.docs[id]
	observed := lp.lsn
	if ok {
		observed = d.LSN // the item alone: later changes to others do not matter
	}
	c.mu.RUnlock()
	if err := c.awaitDurable(observed); err != nil {
		return nil, err
	}
	if !ok || (d.Expires != 0 && d.Expires <= now) {
		return nil, errNotFound("item " + id)
	}
	return d, nil
}
