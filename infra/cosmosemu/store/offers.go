package store

import (
	"encoding/json"
)

// Offer is provisioned throughput of a database or container. It is recorded
// and returned, never enforced.
type Offer struct {
	RID           string
	OwnerRID      string
	OwnerSelfLink string
	Content       json.RawMessage
	TS            int64
	ETag          string
}

// Offers lists every offer of the account.
func (e *Engine) Offers() []Offer {
	var out []Offer
	for _, d := range e.Databases() {
		if o := d.offer(); o != nil {
			out = append(out, Offer{RID: o.RID, OwnerRID: d.meta.RID, OwnerSelfLink: d.SelfLink(), Content: o.Content, TS: o.TS, ETag: o.ETag})
		}
		for _, c := range d.Containers() {
			c.mu.RLock()
			o := c.meta.Offer
			c.mu.RUnlock()
			if o != nil {
				out = append(out, Offer{RID: o.RID, OwnerRID: c.meta.RID, OwnerSelfLink: c.SelfLink(), Content: o.Content, TS: o.TS, ETag: o.ETag})
			}
		}
	}
	return out
}

// ReplaceOffer replaces the content of the offer with the given rid.
func (e *Engine) ReplaceOffer(rid string, content json.RawMessage) (Offer, error) {
	ts := e.now().Unix()
	for _, d := range e.Databases() {
		d.mu.Lock()
		if o := d.meta.Offer; o != nil && o.RID == rid {
			o.Content, o.TS, o.ETag = content, ts, makeETag(3, d.meta.Seq, uint64(ts)^0x55)
			out := Offer{RID: o.RID, OwnerRID: d.meta.RID, OwnerSelfLink: d.SelfLink(), Content: o.Content, TS: o.TS, ETag: o.ETag}
			d.persistLocked()
			d.mu.Unlock()
			return out, nil
		}
		d.mu.Unlock()
		for _, c := range d.Containers() {
			c.mu.Lock()
			if o := c.meta.Offer; o != nil && o.RID == rid {
				o.Content, o.TS, o.ETag = content, ts, makeETag(3, c.meta.Seq, uint64(ts)^uint64(c.lsn))
				out := Offer{RID: o.RID, OwnerRID: c.meta.RID, OwnerSelfLink: c.SelfLink(), Content: o.Content, TS: o.TS, ETag: o.ETag}
				c.logMetaLocked()()
				c.mu.Unlock()
				return out, nil
			}
			c.mu.Unlock()
		}
	}
	return Offer{}, errNotFound("offer " + rid)
}
