package queryapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/queryapi/readmodel"
)

// listFilters are the parameters that define a listing; a cursor carries
// them, so a cursor alone continues its listing, and a parameter given with
// a cursor must agree with it.
var listFilters = []string{"status", "buyerId", "placedFrom", "placedTo", "minTotal", "sort", "order"}

// listCursor is the decoded form of an opaque /orders cursor: the listing's
// parameters (canonical text) and the position of the last view served.
type listCursor struct {
	Filters map[string]string `json:"f"`
	Key     int64             `json:"k"`
	ID      string            `json:"i"`
}

// listOrders handles GET /orders: filters, sort, keyset pages.
func (a *API) listOrders(c echo.Context) error {
	p := readParams(c, append([]string{"limit", "cursor"}, listFilters...)...)
	limit := int(p.int("limit", 1, MaxLimit, DefaultLimit))
	cur := p.listCursor()
	q := p.listQuery()
	q.Limit = limit
	if cur != nil {
		q.After = &readmodel.Position{Key: cur.Key, ID: cur.ID}
	}
	if err := p.err(); err != nil {
		return err
	}
	if err := a.readable(); err != nil {
		return err
	}
	views, more := a.model.Query(q)
	next := ""
	if more {
		last := readmodel.PositionOf(views[len(views)-1], q.Sort)
		next = encodeCursor(listCursor{Filters: p.canonical(), Key: last.Key, ID: last.ID})
	}
	return writePage(c, views, next)
}

// listCursor decodes ?cursor and merges its parameters into p: absent ones
// are taken from the cursor, present ones must agree with it.
func (p *params) listCursor() *listCursor {
	if !p.has("cursor") {
		return nil
	}
	var cur listCursor
	if !decodeCursor(p.get("cursor"), &cur) || cur.ID == "" {
		p.fail("cursor", RuleInvalidParameter, "is not a cursor of this listing; pass the next value of a previous page unchanged")
		return nil
	}
	given := p.canonical()
	for _, name := range listFilters {
		g, isGiven := given[name]
		v, inCursor := cur.Filters[name]
		switch {
		case isGiven && inCursor && g != v:
			p.fail(name, RuleCursorMismatch, "is %q, but the cursor continues a listing with %q; drop the parameter or the cursor", g, v)
		case isGiven && !inCursor:
			p.fail(name, RuleCursorMismatch, "was not part of the listing the cursor continues; drop the parameter or the cursor")
		case inCursor && !isGiven:
			p.values.Set(name, v)
		}
	}
	return &cur
}

// canonical returns the listing parameters present, each in a canonical
// spelling (times in UTC), so that equal queries have equal cursors.
func (p *params) canonical() map[string]string {
	out := make(map[string]string)
	for _, name := range listFilters {
		if !p.has(name) {
			continue
		}
		v := p.get(name)
		if name == "placedFrom" || name == "placedTo" {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				v = t.UTC().Format(time.RFC3339Nano)
			}
		}
		out[name] = v
	}
	return out
}

// listQuery validates the listing parameters into a model query.
func (p *params) listQuery() readmodel.Query {
	q := readmodel.Query{
		Status:     p.oneOf("status", "", readmodel.Statuses...),
		BuyerID:    p.id("buyerId"),
		PlacedFrom: p.time("placedFrom"),
		PlacedTo:   p.time("placedTo"),
		Desc:       p.oneOf("order", "desc", "asc", "desc") == "desc",
	}
	if p.oneOf("sort", "placedAt", "placedAt", "total") == "total" {
		q.Sort = readmodel.SortTotal
	}
	if p.has("minTotal") {
		n := p.int("minTotal", 0, math.MaxInt64, 0)
		q.MinTotal = &n
	}
	if !q.PlacedFrom.IsZero() && !q.PlacedTo.IsZero() && !q.PlacedFrom.Before(q.PlacedTo) {
		p.fail("placedTo", RuleInvalidParameter, "must be later than placedFrom")
	}
	return q
}

// writePage writes {"items":[...],"next":...} with the views' documents as
// stored.
func writePage(c echo.Context, views []*readmodel.View, next string) error {
	size := 32 + len(next)
	for _, v := range views {
		size += len(v.Doc) + 1
	}
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(`{"items":[`)
	for i, v := range views {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(v.Doc)
	}
	b.WriteString(`],"next":`)
	if next == "" {
		b.WriteString("null")
	} else {
		b.WriteString(strconv.Quote(next))
	}
	b.WriteString("}\n")
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentLength, strconv.Itoa(b.Len()))
	return c.Blob(200, echo.MIMEApplicationJSON, b.Bytes())
}

// encodeCursor and decodeCursor make cursors opaque: base64url of JSON.
func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && json.Unmarshal(b, v) == nil
}
