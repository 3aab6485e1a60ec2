package cosmosemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"orderctx/infra/cosmosemu/store"
)

// pkranges serves a container's partition key ranges: with A-IM as a feed
// of every range ever created after the If-None-Match position (304 when
// none is new), without it as the list of live ranges.
func (s *Server) pkranges(req *request, c *store.Container) error {
	after := 0
	if v := strings.Trim(req.header("If-None-Match"), `"`); v != "" {
		after, _ = strconv.Atoi(v)
	}
	ranges, next := c.PartitionKeyRanges(after)
	s.headers(req, true)
	req.setHeader("Etag", strconv.Quote(strconv.Itoa(next)))
	isFeed := req.header("A-IM") != ""
	if isFeed && len(ranges) == 0 {
		req.writeHeader(http.StatusNotModified)
		return nil
	}
	if !isFeed {
		ranges = liveRanges(c)
	}
	docs := make([][]byte, len(ranges))
	for i, r := range ranges {
		docs[i], _ = json.Marshal(map[string]any{
			"id": r.ID, "_rid": c.RID() + r.ID, "_self": c.SelfLink() + "pkranges/" + r.ID + "/", "_etag": strconv.Quote(r.ID),
			"minInclusive": r.Min, "maxExclusive": r.Max, "ridPrefix": 0, "throughputFraction": 1.0 / float64(len(c.RangeIDs())),
			"status": "online", "parents": r.Parents, "ownedArchivalPKRangeIds": []string{}, "_ts": r.TS, "lsn": r.LSN,
		})
	}
	s.writeRaw(req, 200, feedBody(c.RID(), "PartitionKeyRanges", docs))
	return nil
}

// liveRanges lists the ranges that have not been split, in creation order.
func liveRanges(c *store.Container) []store.PartitionKeyRange {
	all, _ := c.PartitionKeyRanges(0)
	live := map[string]bool{}
	for _, id := range c.RangeIDs() {
		live[id] = true
	}
	var out []store.PartitionKeyRange
	for _, r := range all {
		if live[r.ID] {
			out = append(out, r)
		}
	}
	return out
}
