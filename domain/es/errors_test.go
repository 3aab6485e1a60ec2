package es_test

import (
	"errors"
	"fmt"
	"testing"

	"orderctx/domain/es"
)

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	joined := errors.Join(
		es.FieldErrorf(es.Invalid, "x.required", "a", "is required"),
		fmt.Errorf("wrapped: %w", es.FieldErrorf(es.Invalid, "x.too_long", "b[1].c", "too long")),
	)
	tests := []struct {
		name        string
		err         error
		wantCode    es.Code
		wantMessage string
		wantRule    string
		wantAll     int
	}{
		{name: "nil", err: nil, wantCode: "", wantMessage: "", wantRule: "", wantAll: 0},
		{name: "plain error is internal", err: errors.New("disk on fire"), wantCode: es.Internal, wantMessage: "internal error", wantAll: 0},
		{name: "domain error", err: es.Errorf(es.Rejected, "order.not_paid", "order o1 is not paid"), wantCode: es.Rejected, wantMessage: "order o1 is not paid", wantRule: "order.not_paid", wantAll: 1},
		{name: "internal domain error hides message", err: es.Errorf(es.Internal, "es.corrupt_history", "secret detail"), wantCode: es.Internal, wantMessage: "internal error", wantRule: "es.corrupt_history", wantAll: 1},
		{name: "wrapped concurrency", err: fmt.Errorf("append order-1@3: %w", es.ErrConcurrency), wantCode: es.Conflict, wantMessage: es.ErrConcurrency.Message, wantRule: es.RuleConcurrency, wantAll: 1},
		{name: "joined field errors", err: joined, wantCode: es.Invalid, wantMessage: "a: is required", wantRule: "x.required", wantAll: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := es.ErrorCode(tc.err); got != tc.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tc.wantCode)
			}
			if got := es.ErrorMessage(tc.err); got != tc.wantMessage {
				t.Errorf("ErrorMessage = %q, want %q", got, tc.wantMessage)
			}
			if got := es.ErrorRule(tc.err); got != tc.wantRule {
				t.Errorf("ErrorRule = %q, want %q", got, tc.wantRule)
			}
			if got := len(es.AllErrors(tc.err)); got != tc.wantAll {
				t.Errorf("len(AllErrors) = %d, want %d", got, tc.wantAll)
			}
		})
	}
}

func TestErrConcurrencyIs(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("append %s@%d: %w", "order-1", 4, es.ErrConcurrency)
	if !errors.Is(err, es.ErrConcurrency) {
		t.Fatalf("errors.Is(%v, ErrConcurrency) = false", err)
	}
	if errors.Is(err, es.ErrUnknownEventType) {
		t.Fatalf("errors.Is(%v, ErrUnknownEventType) = true", err)
	}
}

func TestAllErrorsFields(t *testing.T) {
	t.Parallel()
	err := errors.Join(
		es.FieldErrorf(es.Invalid, "r1", "shippingAddress.postalCode", "is required"),
		es.FieldErrorf(es.Invalid, "r2", "items[2].quantity", "must be positive"),
	)
	var fields []string
	for _, e := range es.AllErrors(err) {
		fields = append(fields, e.Field)
	}
	if want := []string{"shippingAddress.postalCode", "items[2].quantity"}; fmt.Sprint(fields) != fmt.Sprint(want) {
		t.Fatalf("fields = %v, want %v", fields, want)
	}
	if got, want := es.AllErrors(err)[1].Error(), "items[2].quantity: must be positive [r2]"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
