package queryapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/infra/httpapi"
)

// AuditEvent is one event as the audit endpoints show it: its metadata and
// its payload upcast to the current schema.
type AuditEvent struct {
	// Position is the event's place in the audit log (GET /events only).
	Position      string          `json:"position,omitempty"`
	OrderID       string          `json:"orderId"`
	StreamID      string          `json:"streamId"`
	Version       int64           `json:"version"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schemaVersion"`
	OccurredAt    time.Time       `json:"occurredAt"`
	EventID       string          `json:"eventId"`
	CommandID     string          `json:"commandId"`
	CorrelationID string          `json:"correlationId"`
	CausationID   string          `json:"causationId"`
	Data          json.RawMessage `json:"data"`
}

// HistoryResponse is the body of GET /orders/{id}/events.
type HistoryResponse struct {
	OrderID string `json:"orderId"`
	// Version is the order's stream version when it was read.
	Version int64        `json:"version"`
	Items   []AuditEvent `json:"items"`
	Next    *string      `json:"next"`
}

// auditEvent renders a decoded event.
func auditEvent(e es.Envelope) (AuditEvent, error) {
	data, err := json.Marshal(e.Payload)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("encode %s@%d: %w", e.StreamID, e.Version, err)
	}
	return AuditEvent{
		OrderID: strings.TrimPrefix(e.StreamID, order.StreamPrefix), StreamID: e.StreamID, Version: e.Version,
		Type: e.Type, SchemaVersion: e.SchemaVersion, OccurredAt: e.OccurredAt.UTC(), EventID: e.EventID,
		CommandID: e.CommandID, CorrelationID: e.CorrelationID, CausationID: e.CausationID, Data: data,
	}, nil
}

// orderHistory handles GET /orders/{id}/events[?fromVersion=N][&limit=L]:
// the order's events from the event store, oldest first. The next page
// starts at the version after the last one served (next is that version).
func (a *API) orderHistory(c echo.Context) error {
	id, err := orderIDParam(c)
	if err != nil {
		return err
	}
	p := readParams(c, "fromVersion", "limit", "cursor")
	from := p.int("fromVersion", 1, math.MaxInt64, 1)
	limit := int(p.int("limit", 1, MaxLimit, DefaultLimit))
	if p.has("cursor") {
		n, err := strconv.ParseInt(p.get("cursor"), 10, 64)
		switch {
		case p.has("fromVersion"):
			p.fail("cursor", RuleCursorMismatch, "and fromVersion exclude each other")
		case err != nil || n < 1:
			p.fail("cursor", RuleInvalidParameter, "is not a cursor of this history; pass the next value of a previous page unchanged")
		default:
			from = n
		}
	}
	if err := p.err(); err != nil {
		return err
	}
	if a.deps.History == nil {
		return refuse(kindNotImplemented, RuleAuditUnavailable, "", "the event history is not configured on this server")
	}
	ctx, cancel := a.storeContext(c)
	defer cancel()
	stream, err := a.deps.History.Load(ctx, order.StreamID(id))
	if err != nil {
		return err
	}
	if stream.Snapshot != nil {
		return errSnapshotLoaded
	}
	if stream.Version == 0 {
		return orderNotFound(id)
	}
	out := HistoryResponse{OrderID: id, Version: stream.Version, Items: []AuditEvent{}}
	for _, e := range stream.Events {
		if e.Version < from {
			continue
		}
		if len(out.Items) == limit {
			next := strconv.FormatInt(e.Version, 10)
			out.Next = &next
			break
		}
		item, err := auditEvent(e)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, item)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return httpapi.WriteJSON(c, http.StatusOK, out)
}
