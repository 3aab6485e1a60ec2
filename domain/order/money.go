package order

import (
	"errors"
	"fmt"
	"math"
)

// Money is an amount in minor units of a currency (cents for EUR, yen for JPY).
// Integers avoid the rounding errors of floating point; the domain never needs
// to know a currency's number of decimals because it only adds, subtracts,
// multiplies by quantities and compares.
type Money struct {
	// Amount is in minor units.
	Amount int64 `json:"amount"`
	// Currency is an ISO 4217 code: three upper-case letters.
	Currency string `json:"currency"`
}

// Errors of Money arithmetic. Commands translate them into *es.Error values
// that name the offending field.
var (
	// ErrOverflow reports a result that does not fit in an int64.
	ErrOverflow = errors.New("money: amount overflows int64")
	// ErrCurrencyMismatch reports arithmetic across currencies.
	ErrCurrencyMismatch = errors.New("money: currencies differ")
)

// ValidCurrency reports whether c looks like an ISO 4217 code. The domain does
// not keep a list of codes: new codes appear, and the payment provider is the
// authority on which ones it accepts.
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// Add returns m + o. Both must have the same currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	s, ok := addInt64(m.Amount, o.Amount)
	if !ok {
		return Money{}, ErrOverflow
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// Sub returns m - o. Both must have the same currency.
func (m Money) Sub(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s - %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	if o.Amount == math.MinInt64 {
		return Money{}, ErrOverflow
	}
	s, ok := addInt64(m.Amount, -o.Amount)
	if !ok {
		return Money{}, ErrOverflow
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// Mul returns m * n, for example a unit price times a quantity.
func (m Money) Mul(n int64) (Money, error) {
	p, ok := mulInt64(m.Amount, n)
	if !ok {
		return Money{}, ErrOverflow
	}
	return Money{Amount: p, Currency: m.Currency}, nil
}

// String formats m in minor units, such as "1299 EUR", for messages and logs.
func (m Money) String() string { return fmt.Sprintf("%d %s", m.Amount, m.Currency) }

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	// Overflow happened iff both operands have the same sign and the sum's differs.
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return 0, false
	}
	return s, true
}

func mulInt64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) || p/b != a {
		return 0, false
	}
	return p, true
}
