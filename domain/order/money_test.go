package order_test

import (
	"errors"
	"math"
	"testing"

	"orderctx/domain/order"
)

func TestMoneyArithmetic(t *testing.T) {
	t.Parallel()
	usd := func(n int64) order.Money { return order.Money{Amount: n, Currency: "USD"} }
	tests := []struct {
		name    string
		op      func() (order.Money, error)
		want    order.Money
		wantErr error
	}{
		{"add", func() (order.Money, error) { return eur(5).Add(eur(7)) }, eur(12), nil},
		{"add overflow", func() (order.Money, error) { return eur(math.MaxInt64).Add(eur(1)) }, order.Money{}, order.ErrOverflow},
		{"add negative overflow", func() (order.Money, error) { return eur(math.MinInt64).Add(eur(-1)) }, order.Money{}, order.ErrOverflow},
		{"add currency mismatch", func() (order.Money, error) { return eur(5).Add(usd(7)) }, order.Money{}, order.ErrCurrencyMismatch},
		{"sub", func() (order.Money, error) { return eur(5).Sub(eur(7)) }, eur(-2), nil},
		{"sub overflow", func() (order.Money, error) { return eur(math.MinInt64).Sub(eur(1)) }, order.Money{}, order.ErrOverflow},
		{"sub min int", func() (order.Money, error) { return eur(0).Sub(eur(math.MinInt64)) }, order.Money{}, order.ErrOverflow},
		{"sub currency mismatch", func() (order.Money, error) { return eur(5).Sub(usd(7)) }, order.Money{}, order.ErrCurrencyMismatch},
		{"mul", func() (order.Money, error) { return eur(250).Mul(4) }, eur(1000), nil},
		{"mul by zero", func() (order.Money, error) { return eur(math.MaxInt64).Mul(0) }, eur(0), nil},
		{"mul overflow", func() (order.Money, error) { return eur(math.MaxInt64/2 + 1).Mul(2) }, order.Money{}, order.ErrOverflow},
		{"mul max amount by max quantity", func() (order.Money, error) { return eur(order.MaxAmount).Mul(order.MaxQuantity) }, order.Money{}, order.ErrOverflow},
		{"mul min int by -1", func() (order.Money, error) { return eur(math.MinInt64).Mul(-1) }, order.Money{}, order.ErrOverflow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.op()
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidCurrency(t *testing.T) {
	t.Parallel()
	for c, want := range map[string]bool{"EUR": true, "JPY": true, "eur": false, "EU": false, "EURO": false, "E1R": false, "": false, "ÉUR": false} {
		if got := order.ValidCurrency(c); got != want {
			t.Errorf("ValidCurrency(%q) = %v, want %v", c, got, want)
		}
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	if got := eur(1299).String(); got != "1299 EUR" {
		t.Fatalf("String = %q", got)
	}
}

func TestLineTotal(t *testing.T) {
	t.Parallel()
	if got := item("p-1", 3, 1000, 250).LineTotal(); got != eur(2750) {
		t.Fatalf("LineTotal = %v", got)
	}
}
