package queryapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/queryapi/live"
)

// liveWriteTimeout bounds one write to a live subscriber: a client that
// accepts nothing for this long is gone or stuck, and is dropped.
const liveWriteTimeout = 10 * time.Second

// live handles GET /live: server-sent events of view changes as this
// instance applies them. Each change is "event: order" with the view
// document as data and "id: <epoch>-<seq>", a position the client resumes
// from with Last-Event-ID (or ?lastEventId). A new subscriber first gets
// "event: hello" with the current position; a position that cannot be
// resumed gets "event: reset" (reload, then continue from its id); a
// subscriber that falls behind, or a server shutting down, gets
// "event: close" with the reason, and the stream ends.
func (a *API) live(c echo.Context) error {
	p := readParams(c, "lastEventId")
	lastID := c.Request().Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = p.get("lastEventId")
	}
	if len(lastID) > 64 {
		p.fail("Last-Event-ID", RuleHeader, "is longer than any position this server issues")
	}
	if err := p.err(); err != nil {
		return err
	}
	if err := a.readable(); err != nil {
		return err
	}
	sub, err := a.hub.Subscribe(lastID)
	if errors.Is(err, live.ErrTooManySubscribers) {
		return refuse(kindBusy, RuleTooManySubscribers, "", "the live stream has its maximum of subscribers; retry later")
	}
	if err != nil {
		return err
	}
	defer a.hub.Unsubscribe(sub)
	return a.stream(c, lastID, sub)
}

// stream writes a subscription to the client until one side ends it.
func (a *API) stream(c echo.Context, lastID string, sub *live.Subscription) error {
	w := c.Response()
	rc := http.NewResponseController(w)
	// The server's read deadline would end the request (and this stream)
	// while the client, as it should, sends nothing more.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := bufio.NewWriterSize(w, 16<<10)
	flush := func() error {
		_ = rc.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
		if err := out.Flush(); err != nil {
			return err
		}
		return rc.Flush()
	}
	out.WriteString("retry: 1000\n\n")
	switch {
	case sub.Reset != "":
		writeEvent(out, sub.Head, "reset", map[string]string{"reason": sub.Reset, "position": sub.Head})
	case lastID == "":
		writeEvent(out, sub.Head, "hello", map[string]string{"position": sub.Head})
	}
	for _, ch := range sub.Replay {
		a.writeChange(out, ch)
	}
	heartbeat := time.NewTicker(a.opts.Heartbeat)
	defer heartbeat.Stop()
	for {
		if err := flush(); err != nil {
			return nil // the client is gone; nothing to answer
		}
		select {
		case ch := <-sub.C:
			a.writeChange(out, ch)
			a.drain(out, sub)
		case <-heartbeat.C:
			out.WriteString(": keep-alive\n\n")
		case <-sub.Dropped:
			writeEvent(out, "", "close", map[string]string{"reason": sub.Reason()})
			_ = flush()
			return nil
		case <-c.Request().Context().Done():
			return nil
		}
	}
}

// drain writes the changes already waiting, so one flush carries them all.
func (a *API) drain(out *bufio.Writer, sub *live.Subscription) {
	for {
		select {
		case ch := <-sub.C:
			a.writeChange(out, ch)
		default:
			return
		}
	}
}

func (a *API) writeChange(out *bufio.Writer, ch live.Change) {
	out.WriteString("id: ")
	out.WriteString(a.hub.ID(ch.Seq))
	out.WriteString("\nevent: order\ndata: ")
	out.Write(ch.Data)
	out.WriteString("\n\n")
}

// writeEvent writes one control event; an empty id leaves the client's
// last position unchanged.
func writeEvent(out *bufio.Writer, id, event string, data any) {
	b, _ := json.Marshal(data)
	if id != "" {
		out.WriteString("id: " + id + "\n")
	}
	out.WriteString("event: " + event + "\ndata: ")
	out.Write(b)
	out.WriteString("\n\n")
}
