package queryapi

import (
	"context"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"orderctx/domain/es"
	"orderctx/infra/httpapi"
	"orderctx/queryapi/audit"
)

// auditReadConcurrency bounds the event store reads of one audit page.
const auditReadConcurrency = 8

// AuditLogResponse is the body of GET /events.
type AuditLogResponse struct {
	Items []AuditEvent `json:"items"`
	Next  *string      `json:"next"`
}

// auditCursor is the decoded form of an opaque /events cursor.
type auditCursor struct {
	Position string `json:"p"`
	Forward  bool   `json:"f"`
}

// auditLog handles GET /events: every order's events, newest first, or
// forward in time after ?from=<position> (a position an earlier answer
// listed), a page at a time.
func (a *API) auditLog(c echo.Context) error {
	p := readParams(c, "from", "limit", "cursor")
	limit := int(p.int("limit", 1, MaxLimit, DefaultLimit))
	from, forward := p.auditStart()
	if err := p.err(); err != nil {
		return err
	}
	if a.deps.Events == nil {
		return refuse(kindNotImplemented, RuleAuditUnavailable, "", "the audit log is not configured on this server")
	}
	select {
	case <-a.auditReady:
	default:
		return refuse(kindNotReady, RuleAuditLoading, "", "the audit index is still loading the events; retry shortly")
	}
	refs, more := a.audit.Page(from, forward, limit)
	ctx, cancel := a.storeContext(c)
	defer cancel()
	items, err := a.readEvents(ctx, refs)
	if err != nil {
		return err
	}
	out := AuditLogResponse{Items: items}
	if more {
		next := encodeCursor(auditCursor{Position: audit.PositionOf(refs[len(refs)-1]).String(), Forward: forward})
		out.Next = &next
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return httpapi.WriteJSON(c, http.StatusOK, out)
}

// auditStart reads where a page starts: after ?from (forward), after the
// cursor's position (its direction), or at the newest event (backward).
func (p *params) auditStart() (*audit.Position, bool) {
	token, forward := p.get("from"), p.has("from")
	field := "from"
	if p.has("cursor") {
		var cur auditCursor
		switch {
		case forward:
			p.fail("cursor", RuleCursorMismatch, "and from exclude each other")
			return nil, false
		case !decodeCursor(p.get("cursor"), &cur):
			p.fail("cursor", RuleInvalidParameter, "is not a cursor of the audit log; pass the next value of a previous page unchanged")
			return nil, false
		}
		token, forward, field = cur.Position, cur.Forward, "cursor"
	} else if !forward {
		return nil, false
	}
	pos, err := audit.ParsePosition(token)
	if err != nil {
		p.fail(field, RuleInvalidParameter, "is not a position of the audit log; use the position of a listed event")
		return nil, false
	}
	return &pos, forward
}

// readEvents reads the events of a page from the event store, a few at a
// time, in the page's order. An event the index lists but the store no
// longer has (removed by hand) is left out.
func (a *API) readEvents(ctx context.Context, refs []audit.Ref) ([]AuditEvent, error) {
	items := make([]AuditEvent, len(refs))
	found := make([]bool, len(refs))
	errs := make([]error, len(refs))
	sem := make(chan struct{}, auditReadConcurrency)
	var wg sync.WaitGroup
	for i, r := range refs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			env, err := a.deps.EventReader.ReadEvent(ctx, r.StreamID, r.Version)
			if es.ErrorCode(err) == es.NotFound {
				return
			}
			if err == nil {
				items[i], err = auditEvent(env)
				items[i].Position = audit.PositionOf(r).String()
			}
			found[i], errs[i] = err == nil, err
		}()
	}
	wg.Wait()
	out := make([]AuditEvent, 0, len(refs))
	for i := range refs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if found[i] {
			out = append(out, items[i])
		}
	}
	return out, nil
}
