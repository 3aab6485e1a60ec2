package cosmosemu

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// maxFeedPage is the most changes one change feed page holds.
const maxFeedPage = 10000

// changeFeed serves one page of a range's change feed, latest-version mode:
// 200 with the changes, or 304 when nothing is new; the ETag is the
// continuation either way.
func (s *Server) changeFeed(req *request, c *store.Container) error {
	fr, err := feedRequest(req, c)
	if err != nil {
		return err
	}
	page, err := c.ReadFeed(fr)
	if err != nil {
		return err
	}
	req.session = fr.RangeID + ":-1#" + strconv.FormatUint(c.CurrentLSN(), 10)
	size := 0
	docs := make([][]byte, len(page.Docs))
	for i, d := range page.Docs {
		docs[i] = d.Body
		size += len(d.Body)
	}
	req.charge = 1 + float64(size)/1024
	req.setHeader("Etag", strconv.Quote(strconv.FormatUint(page.Continuation, 10)))
	if len(docs) == 0 {
		s.writeStatus(req, http.StatusNotModified)
		return nil
	}
	req.setHeader("X-Ms-Item-Count", strconv.Itoa(len(docs)))
	s.writeRaw(req, 200, feedBody(c.RID(), "Documents", docs))
	return nil
}

// feedRequest reads which range (or partition key) a change feed request
// reads, from where, and how many changes at most.
func feedRequest(req *request, c *store.Container) (store.FeedRequest, error) {
	fr := store.FeedRequest{RangeID: req.header("x-ms-documentdb-partitionkeyrangeid")}
	if !strings.EqualFold(req.header("A-IM"), "Incremental feed") {
		return fr, badRequest("Only the Incremental feed (latest version) change feed mode is supported.")
	}
	pk, hasPK, err := partitionKeyFrom(req)
	if err != nil {
		return fr, err
	}
	if hasPK {
		fr.PartitionKey = &pk
		if fr.RangeID == "" {
			fr.RangeID, _ = c.RangeOf(pk)
		}
	}
	if fr.RangeID == "" {
		ids := c.RangeIDs()
		if len(ids) != 1 {
			return fr, badRequest("The change feed of a container with several partition key ranges must name one (x-ms-documentdb-partitionkeyrangeid) or a partition key.")
		}
		fr.RangeID = ids[0]
	}
	n, err := maxItemCount(req, 100, maxFeedPage)
	if err != nil {
		return fr, err
	}
	fr.Max = min(n, maxFeedPage)
	// A feed range narrower than its physical range (the JavaScript SDK's
	// change feed for a feed range) names its bounds in these headers.
	fr.MinEPK, fr.MaxEPK = req.header("x-ms-start-epk"), req.header("x-ms-end-epk")
	err = feedStart(req, &fr)
	return fr, err
}

// feedStart reads where the page starts: after a continuation
// (If-None-Match), now (If-None-Match: *), at a time (If-Modified-Since), or
// at the beginning.
func feedStart(req *request, fr *store.FeedRequest) error {
	switch inm := req.header("If-None-Match"); {
	case inm == "*":
		fr.Now = true
	case inm != "":
		after, err := strconv.ParseUint(strings.Trim(inm, `"`), 10, 64)
		if err != nil {
			return badRequest("The change feed continuation (If-None-Match) %q is not valid.", inm)
		}
		fr.After = after
	default:
		ims := req.header("If-Modified-Since")
		if ims == "" {
			return nil
		}
		t, err := http.ParseTime(ims)
		if err != nil {
			// azcosmos formats the time as RFC 1123 with "UTC" as the zone.
			t, err = time.Parse(time.RFC1123, ims)
		}
		if err != nil {
			return badRequest("If-Modified-Since %q is not an HTTP date.", ims)
		}
		fr.Since = t.Unix()
	}
	return nil
}

// maxItemCount reads x-ms-max-item-count: def when absent, all when -1.
func maxItemCount(req *request, def, all int) (int, error) {
	v := req.header("x-ms-max-item-count")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n == 0 || n < -1:
		return 0, badRequest("x-ms-max-item-count must be a positive number or -1.")
	case n == -1:
		return all, nil
	}
	return n, nil
}
