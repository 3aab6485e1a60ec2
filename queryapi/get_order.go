package queryapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/queryapi/readmodel"
)

// getOrder handles GET /orders/{id}[?minVersion=N[&wait=D]][&predict=true]:
// the view as the projector wrote it, with its version as a strong ETag.
func (a *API) getOrder(c echo.Context) error {
	id, err := orderIDParam(c)
	if err != nil {
		return err
	}
	p := readParams(c, "minVersion", "wait", "predict")
	minVersion := p.int("minVersion", 1, math.MaxInt64, 0)
	wait := p.duration("wait", MaxWait, DefaultWait)
	predict := p.bool("predict")
	if p.has("wait") && !p.has("minVersion") {
		p.fail("wait", RuleInvalidParameter, "is only meaningful with minVersion")
	}
	match, herr := parseIfNoneMatch(c.Request().Header.Values("If-None-Match"))
	if herr != nil {
		p.errs = append(p.errs, *herr)
	}
	if err := p.err(); err != nil {
		return err
	}
	if err := a.readable(); err != nil {
		return err
	}
	if predict {
		return a.predicted(c, id, minVersion, match)
	}
	v, _ := a.model.Get(id)
	if minVersion > 0 && (v == nil || v.Version < minVersion) {
		ctx, cancel := context.WithTimeout(c.Request().Context(), wait)
		v, err = a.model.WaitVersion(ctx, id, minVersion)
		cancel()
		if err != nil {
			return versionNotReached(id, v, minVersion, wait)
		}
	}
	if v == nil {
		return orderNotFound(id)
	}
	return writeView(c, v, match)
}

// versionNotReached is the 503 of a read-your-writes wait that ran out: it
// says which version this instance has, so the client can decide.
func versionNotReached(id string, v *readmodel.View, minVersion int64, wait time.Duration) error {
	have := int64(0)
	if v != nil {
		have = v.Version
	}
	why := fmt.Sprintf("after waiting %v; retry, or ask with predict=true", wait)
	if wait == 0 {
		why = "even with the newer events of the event store"
	}
	e := refuse(kindNotReached, RuleVersionNotReached, "minVersion", "order %s is at version %d here, not yet %d, %s", id, have, minVersion, why)
	e.version, e.minVersion = &have, &minVersion
	return e
}

// writeView answers with a stored view, or 304 when the client has it. The
// headers are assigned in their canonical form, which skips net/http's
// canonicalization on the hottest path.
func writeView(c echo.Context, v *readmodel.View, match func(string) bool) error {
	h := c.Response().Header()
	h["Etag"] = []string{v.ETag}
	h["Cache-Control"] = []string{"no-cache"}
	if match != nil && match(v.ETag) {
		c.Response().WriteHeader(http.StatusNotModified)
		return nil
	}
	h["Content-Type"] = []string{echo.MIMEApplicationJSON}
	h["Content-Length"] = []string{strconv.Itoa(len(v.Doc))}
	c.Response().WriteHeader(http.StatusOK)
	_, err := c.Response().Write(v.Doc)
	return err
}

// predicted answers ?predict=true: the view with newer events folded in,
// marked "predicted": true, or the stored view when nothing is newer.
func (a *API) predicted(c echo.Context, id string, minVersion int64, match func(string) bool) error {
	if a.deps.Predictor == nil {
		return refuse(kindNotImplemented, RulePredictionUnavailable, "predict", "prediction is not configured on this server")
	}
	v, _ := a.model.Get(id)
	var view json.RawMessage
	var viewVersion int64
	if v != nil {
		view, viewVersion = v.Doc, v.Version
	}
	ctx, cancel := a.storeContext(c)
	defer cancel()
	doc, isPredicted, err := a.deps.Predictor.Predict(ctx, id, view, viewVersion)
	if err != nil {
		return err
	}
	if !isPredicted {
		if v == nil {
			return orderNotFound(id)
		}
		if v.Version < minVersion {
			return versionNotReached(id, v, minVersion, 0)
		}
		return writeView(c, v, match)
	}
	pv, err := readmodel.ParseView(doc)
	if err != nil {
		return fmt.Errorf("predicted view of %s: %w", id, err)
	}
	if pv.Version < minVersion {
		return versionNotReached(id, pv, minVersion, 0)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().WriteHeader(http.StatusOK)
	_, err = c.Response().Write(markPredicted(pv.Doc))
	return err
}

// markPredicted adds "predicted": true to a JSON object.
func markPredicted(doc []byte) []byte {
	out := make([]byte, 0, len(doc)+20)
	out = append(out, doc[:len(doc)-1]...)
	if len(doc) > 2 {
		out = append(out, ',')
	}
	return append(out, `"predicted":true}`...)
}

// parseIfNoneMatch reads If-None-Match: "*" or a list of entity tags,
// compared weakly as RFC 9110 requires for this header. It returns nil when
// the header is absent.
func parseIfNoneMatch(values []string) (func(string) bool, *FieldError) {
	if len(values) == 0 {
		return nil, nil
	}
	var tags []string
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" {
				return func(string) bool { return true }, nil
			}
			t = strings.TrimPrefix(t, "W/")
			if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' || strings.ContainsAny(t[1:len(t)-1], "\" ") {
				return nil, &FieldError{Field: "If-None-Match", Rule: RuleHeader, Message: "must be * or a list of entity tags such as \"3\""}
			}
			tags = append(tags, t)
		}
	}
	return func(etag string) bool {
		for _, t := range tags {
			if t == etag {
				return true
			}
		}
		return false
	}, nil
}
