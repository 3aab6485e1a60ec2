package store

import (
	"sort"

	"orderctx/infra/cosmosemu/epk"
)

// FeedRequest asks for one page of a range's change feed (latest-version mode).
type FeedRequest struct {
	RangeID string
	// PartitionKey, when set, limits the page to one logical partition.
	PartitionKey *PartitionKey
	// After is the continuation: the LSN of the last change already seen.
	After uint64
	// Now, with no continuation, starts at the current end of the feed.
	Now bool
	// Since, with no continuation, starts at items changed at or after this unix time.
	Since int64
	// Max is the page size; <= 0 means 100.
	Max int
	// MinEPK and MaxEPK, when MaxEPK is set, limit the page to the logical
	// partitions whose effective partition key lies in [MinEPK, MaxEPK):
	// a feed range narrower than its physical range.
	MinEPK, MaxEPK string
}

// inEPKRange reports whether a change's logical partition lies in the
// request's EPK sub-range (always, when it names none). Callers hold c.mu.
func (c *Container) inEPKRange(req FeedRequest, d *Doc) bool {
	if req.MaxEPK == "" {
		return true
	}
	lp, ok := c.logical[d.PKKey]
	return ok && epk.Compare(lp.epk, req.MinEPK) >= 0 && epk.Compare(lp.epk, req.MaxEPK) < 0
}

// FeedPage is one page of changes and the continuation to ask for the next.
type FeedPage struct {
	Docs         []*Doc
	Continuation uint64
}

// ReadFeed returns the changes of one range after req.After, each item once at
// its latest version, in LSN order (so in write order within a logical
// partition and in operation order within a batch). Only durable changes are
// returned, so a consumer never sees a change that a crash could take back;
// and a version is skipped as superseded only once the change that replaced
// or deleted it is durable, else a crash could bring it back unseen.
func (c *Container) ReadFeed(req FeedRequest) (FeedPage, error) {
	if req.Max <= 0 {
		req.Max = 100
	}
	now := c.db.engine.now().Unix()
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, err := c.liveRange(req.RangeID)
	if err != nil {
		return FeedPage{}, err
	}
	durable := c.durable.Load()
	if req.Now {
		return FeedPage{Continuation: durable}, nil
	}
	page := FeedPage{Continuation: req.After}
	start := sort.Search(len(r.feed), func(i int) bool { return r.feed[i].LSN > req.After })
	for _, d := range r.feed[start:] {
		if d.LSN > durable {
			break
		}
		page.Continuation = d.LSN
		if (d.dead && d.deadAt <= durable) || (d.Expires != 0 && d.Expires <= now) || d.TS < req.Since {
			continue
		}
		if (req.PartitionKey != nil && d.PKKey != req.PartitionKey.Key) || !c.inEPKRange(req, d) {
			continue
		}
		page.Docs = append(page.Docs, d)
		if len(page.Docs) >= req.Max {
			break
		}
	}
	return page, nil
}

// CurrentLSN is the last durable change of the container (for session tokens).
func (c *Container) CurrentLSN() uint64 { return c.durable.Load() }

// PartitionDocs returns the live items of one logical partition in creation
// order, once the partition's last change is durable.
func (c *Container) PartitionDocs(pk PartitionKey) ([]*Doc, error) {
	now := c.db.engine.now().Unix()
	c.mu.RLock()
	lp, ok := c.logical[pk.Key]
	var out []*Doc
	var observed uint64
	if ok {
		observed = lp.lsn
		out = make([]*Doc, 0, len(lp.docs))
		for _, d := range lp.docs {
			if d.Expires == 0 || d.Expires > now {
				out = append(out, d)
			}
		}
	}
	c.mu.RUnlock()
	if err := c.awaitDurable(observed); err != nil {
		return nil, err
	}
	sortBySeq(out)
	return out, nil
}

// PartitionDocsByID returns the live items of one logical partition with the
// given ids, in creation order: the indexed path for id-filtered queries. It
// answers once the partition's last change is durable.
func (c *Container) PartitionDocsByID(pk PartitionKey, ids []string) ([]*Doc, error) {
	now := c.db.engine.now().Unix()
	c.mu.RLock()
	lp, ok := c.logical[pk.Key]
	var out []*Doc
	var observed uint64
	if ok {
		observed = lp.lsn
		for _, id := range ids {
			if d, ok := lp.docs[id]; ok && (d.Expires == 0 || d.Expires > now) {
				out = append(out, d)
			}
		}
	}
	c.mu.RUnlock()
	if err := c.awaitDurable(observed); err != nil {
		return nil, err
	}
	sortBySeq(out)
	return slicesCompactDocs(out), nil
}

// slicesCompactDocs drops repeats (an id listed twice) from a sorted slice.
func slicesCompactDocs(docs []*Doc) []*Doc {
	out := docs[:0]
	for i, d := range docs {
		if i == 0 || docs[i-1] != d {
			out = append(out, d)
		}
	}
	return out
}

// RangeDocs returns the live items of one physical range in creation order,
// once the range's last change is durable.
func (c *Container) RangeDocs(rangeID string) ([]*Doc, error) {
	return c.rangeDocs(rangeID, "", "")
}

// RangeDocsWithin returns the live items of one physical range whose
// effective partition keys lie in [minEPK, maxEPK) (an empty maxEPK has no
// upper bound), in creation order: what a request with the
// x-ms-start-epk and x-ms-end-epk headers reads of a range.
func (c *Container) RangeDocsWithin(rangeID, minEPK, maxEPK string) ([]*Doc, error) {
	return c.rangeDocs(rangeID, minEPK, maxEPK)
}

func (c *Container) rangeDocs(rangeID, minEPK, maxEPK string) ([]*Doc, error) {
	now := c.db.engine.now().Unix()
	c.mu.RLock()
	r, err := c.liveRange(rangeID)
	if err != nil {
		c.mu.RUnlock()
		return nil, err
	}
	bounded := minEPK != "" || maxEPK != ""
	out := make([]*Doc, 0, len(r.feed)-r.garbage)
	for _, d := range r.feed {
		if d.dead || (d.Expires != 0 && d.Expires <= now) {
			continue
		}
		if bounded && !c.epkWithin(d, minEPK, maxEPK) {
			continue
		}
		out = append(out, d)
	}
	observed := r.lsn
	c.mu.RUnlock()
	if err := c.awaitDurable(observed); err != nil {
		return nil, err
	}
	sortBySeq(out)
	return out, nil
}

// epkWithin reports whether d's logical partition lies in [minEPK, maxEPK);
// the caller holds c.mu.
func (c *Container) epkWithin(d *Doc, minEPK, maxEPK string) bool {
	lp, ok := c.logical[d.PKKey]
	if !ok {
		return false
	}
	return epk.Compare(lp.epk, minEPK) >= 0 && (maxEPK == "" || epk.Compare(lp.epk, maxEPK) < 0)
}

// RangeOf names the live range that holds a logical partition.
func (c *Container) RangeOf(pk PartitionKey) (string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if lp, ok := c.logical[pk.Key]; ok {
		return lp.rng.meta.ID, nil
	}
	e, err := epkOf(pk.Values, c.pkVersion)
	if err != nil {
		return "", err
	}
	return c.rangeFor(e).meta.ID, nil
}

func sortBySeq(docs []*Doc) {
	sort.Slice(docs, func(i, j int) bool { return docs[i].Seq < docs[j].Seq })
}

// maybeCompact drops dead feed entries once they outnumber live ones. An
// entry whose replacement is not durable yet stays: the change feed still
// owes it to its readers (see ReadFeed).
func (c *Container) maybeCompact(r *prange) {
	if r.garbage < 1024 || r.garbage*2 < len(r.feed) {
		return
	}
	r.feed, r.garbage = c.withoutSuperseded(r.feed)
}

// withoutSuperseded returns the feed entries that are live or whose
// replacement is not durable yet, and how many of those are dead.
func (c *Container) withoutSuperseded(feed []*Doc) (kept []*Doc, dead int) {
	durable := c.durable.Load()
	kept = make([]*Doc, 0, len(feed))
	for _, d := range feed {
		switch {
		case !d.dead:
			kept = append(kept, d)
		case d.deadAt > durable:
			kept = append(kept, d)
			dead++
		}
	}
	return kept, dead
}
