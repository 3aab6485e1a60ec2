package commandapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"orderctx/commandapi"
	"orderctx/domain/es"
)

// TestStatusIsALookupOfTheCode: whatever the store round trip returns, the
// status and problem type follow from the error's code alone. An Invalid
// error found there (a check no handler ran before) is a 400, as it is when
// a handler's validation finds it.
func TestStatusIsALookupOfTheCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code   es.Code
		status int
		slug   string
	}{
		{es.Invalid, http.StatusBadRequest, "invalid-request"},
		{es.NotFound, http.StatusNotFound, "not-found"},
		{es.Conflict, http.StatusConflict, "conflict"},
		{es.Precondition, http.StatusPreconditionFailed, "stale-version"},
		{es.Rejected, http.StatusUnprocessableEntity, "rule-violation"},
		{es.CommandReused, http.StatusUnprocessableEntity, "idempotency-key-reused"},
		{es.Internal, http.StatusInternalServerError, "internal"},
		{es.Unavailable, http.StatusServiceUnavailable, "unavailable"},
		{"no_such_code", http.StatusInternalServerError, "internal"},
	}
	for _, tc := range tests {
		t.Run(string(tc.code), func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("deciding: %w", es.FieldErrorf(tc.code, "test.rule", "reason", "is refused"))
			f := newFixtureWith(t, nil, failingStore{err: err}, commandapi.Options{})
			rec := f.do(t, request{method: http.MethodPost, path: "/orders/o-1/cancel", body: `{"reason":"r"}`})
			if rec.Code != tc.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			p := problemOf(t, rec)
			if want := "urn:orderctx:problem:" + tc.slug; p.Type != want {
				t.Errorf("type %s, want %s", p.Type, want)
			}
			if tc.status < 500 && (p.Rule != "test.rule" || !hasError(p, "reason", "test.rule")) {
				t.Errorf("problem %+v does not name the rule and field", p)
			}
		})
	}
}
