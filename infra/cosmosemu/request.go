package cosmosemu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"orderctx/infra/cosmosemu/epk"
	"orderctx/infra/cosmosemu/store"
)

// request is the parsed form of one REST call.
type request struct {
	x        exchange
	method   string
	path     string
	segs     []string // unescaped path segments
	resType  string   // the resource type the signature names ("docs", "colls", ...)
	resLink  string   // the resource link the signature names
	activity string
	charge   float64
	session  string
}

// parsePath splits the path into segments and names the resource type and
// link the signature covers.
func (req *request) parsePath() error {
	p := strings.Trim(req.path, "/")
	if p != "" && !strings.ContainsAny(p, "%\\#") {
		// Nothing escaped: the segments are the path's own.
		req.segs = strings.Split(p, "/")
	} else if p != "" {
		raw := strings.Split(p, "/")
		req.segs = make([]string, 0, len(raw))
		for _, seg := range raw {
			u, err := url.PathUnescape(seg)
			if err != nil {
				return badRequest("The request path is not valid.")
			}
			if !strings.ContainsAny(u, "%\\#/ \r\n\t") {
				req.segs = append(req.segs, u)
				continue
			}
			gw, gerr := gatewaySegments(u)
			if gerr != nil {
				return gerr
			}
			req.segs = append(req.segs, gw...)
		}
	}
	// The signature names the resource type and the link of the addressed
	// resource: for a feed (odd segment count) the type is the last segment
	// and the link is its parent.
	n := len(req.segs)
	switch {
	case n == 0:
	case n%2 == 1:
		req.resType = req.segs[n-1]
		req.resLink = strings.Join(req.segs[:n-1], "/")
	default:
		req.resType = req.segs[n-2]
		req.resLink = strings.Join(req.segs, "/")
	}
	if n == 2 && req.segs[0] == "offers" {
		// Offers are addressed by resource id, and the SDKs sign rid-based
		// links as the lower-cased rid alone.
		req.resLink = strings.ToLower(req.segs[1])
	}
	return nil
}

// gatewaySegments reads one decoded path segment the way the Cosmos DB
// gateway does, so ids the gateway cannot address fail here as they fail
// there: it decodes percent escapes a second time, treats '\\' and '/' as
// separators, ends the path at '#', trims trailing spaces, and refuses
// control characters. The SDK signs the segment as it was, so any change
// makes the signature check answer 401, exactly as the gateway does.
func gatewaySegments(seg string) ([]string, error) {
	if strings.ContainsAny(seg, "\r\n\t") {
		return nil, badRequest("The request path contains a control character.")
	}
	if u, err := url.PathUnescape(seg); err == nil {
		seg = u
	}
	if i := strings.IndexByte(seg, '#'); i >= 0 {
		seg = seg[:i]
	}
	parts := strings.Split(strings.ReplaceAll(seg, "\\", "/"), "/")
	for i := range parts {
		parts[i] = strings.TrimRight(parts[i], " ")
	}
	return parts, nil
}

// nextActivityID numbers requests in the x-ms-activity-id format (a UUID).
func (s *Server) nextActivityID() string {
	n := s.activity.Add(1)
	b := make([]byte, 0, 36)
	b = append(b, s.idPrefix[:8]...)
	b = append(b, '-')
	b = append(b, s.idPrefix[8:12]...)
	b = append(b, "-4000-8000-"...)
	hexN := strconv.FormatUint(n, 16)
	for i := len(hexN); i < 12; i++ {
		b = append(b, '0')
	}
	return string(append(b, hexN...))
}

func isQuery(req *request) bool {
	return req.method == http.MethodPost && (strings.EqualFold(req.header("x-ms-documentdb-query"), "true") ||
		strings.HasPrefix(req.header("Content-Type"), "application/query+json"))
}

func isTrue(v string) bool { return strings.EqualFold(v, "true") }

func minimal(req *request) bool {
	return strings.Contains(req.header("Prefer"), "return=minimal")
}

// partitionKeyFrom reads the x-ms-documentdb-partitionkey header; ok is
// false when the request names no partition key.
func partitionKeyFrom(req *request) (pk store.PartitionKey, ok bool, err error) {
	h := req.header("x-ms-documentdb-partitionkey")
	if h == "" {
		return store.PartitionKey{}, false, nil
	}
	values, perr := epk.ParseHeader(h)
	if perr != nil {
		return store.PartitionKey{}, false, badRequest("The partition key header x-ms-documentdb-partitionkey is invalid: %v", perr)
	}
	if len(values) == 0 {
		return store.PartitionKey{}, false, nil
	}
	return store.NewPartitionKey(values), true, nil
}

func requirePartitionKey(req *request) (store.PartitionKey, error) {
	pk, ok, err := partitionKeyFrom(req)
	if err != nil {
		return pk, err
	}
	if !ok {
		return pk, badRequest("PartitionKey value must be supplied for this operation (header x-ms-documentdb-partitionkey).")
	}
	return pk, nil
}
