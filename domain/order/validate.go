package order

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"orderctx/domain/es"
)

// problems collects every field error of a command, so that a client learns
// about all of them in one round trip.
type problems struct {
	errs []error
}

func (p *problems) add(rule, field, format string, args ...any) {
	p.errs = append(p.errs, es.FieldErrorf(es.Invalid, rule, field, format, args...))
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// id checks an identifier. Ids are restricted to a URL- and Cosmos-DB-safe ASCII
// set because they appear in paths, stream ids and document ids, where '/',
// '?', '#' and '\' are not allowed. An id made only of dots is refused too:
// "." and ".." are the path segments that URL normalisation removes
// (RFC 3986 5.2.4), so no ordinary client could address such an order.
func (p *problems) id(field, v string) bool {
	switch {
	case v == "":
		p.add(RuleRequired, field, "is required")
		return false
	case len(v) > MaxIDLength:
		p.add(RuleTooLong, field, "must be at most %d characters", MaxIDLength)
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			p.add(RuleFormat, field, "may contain only letters, digits and - _ . :")
			return false
		}
	}
	if strings.Trim(v, ".") == "" {
		p.add(RuleFormat, field, "must not consist of dots only")
		return false
	}
	return true
}

// text checks free text: valid UTF-8 without control characters (which break
// logs and CSV exports), at most max characters, and not blank if required.
func (p *problems) text(field, v string, max int, required bool) bool {
	switch {
	case required && strings.TrimSpace(v) == "":
		p.add(RuleRequired, field, "is required")
		return false
	case !utf8.ValidString(v):
		p.add(RuleFormat, field, "must be valid UTF-8")
		return false
	case utf8.RuneCountInString(v) > max:
		p.add(RuleTooLong, field, "must be at most %d characters", max)
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			p.add(RuleFormat, field, "must not contain control characters")
			return false
		}
	}
	return true
}

func (p *problems) currency(field, v string) bool {
	if v == "" {
		p.add(RuleRequired, field, "is required")
		return false
	}
	if !ValidCurrency(v) {
		p.add(RuleFormat, field, "must be an ISO 4217 code of three upper-case letters")
		return false
	}
	return true
}

// money checks an amount in 0..MaxAmount and its currency; if want is not
// empty the currency must equal it.
func (p *problems) money(field string, m Money, want string) bool {
	ok := true
	if m.Amount < 0 || m.Amount > MaxAmount {
		p.add(RuleAmountRange, field+".amount", "must be between 0 and %d minor units", MaxAmount)
		ok = false
	}
	if !p.currency(field+".currency", m.Currency) {
		return false
	}
	if want != "" && m.Currency != want {
		p.add(RuleCurrencyMismatch, field+".currency", "must be %s, got %s", want, m.Currency)
		ok = false
	}
	return ok
}

// item checks one item; prefix is "" for AddItem and "items[i]." for PlaceOrder.
// currency is the currency the prices must have, or "" if it is not known yet.
func (p *problems) item(prefix string, it ItemInput, currency string) {
	p.id(prefix+"productId", it.ProductID)
	p.text(prefix+"name", it.Name, MaxNameLength, true)
	qtyOK := true
	if it.Quantity < 1 || it.Quantity > MaxQuantity {
		p.add(RuleQuantityRange, prefix+"quantity", "must be between 1 and %d", MaxQuantity)
		qtyOK = false
	}
	priceOK := p.money(prefix+"unitPrice", it.UnitPrice, currency)
	discount := it.discount(it.UnitPrice.Currency)
	discountOK := true
	if it.Discount != nil {
		// The discount's currency follows the unit price, so a wrong order
		// currency is reported once, at unitPrice.
		discountOK = p.money(prefix+"discount", *it.Discount, it.UnitPrice.Currency)
	}
	if !qtyOK || !priceOK || !discountOK {
		return
	}
	gross, err := it.UnitPrice.Mul(int64(it.Quantity))
	if err != nil || gross.Amount > MaxAmount {
		p.add(RuleAmountOverflow, prefix+"unitPrice.amount", "unit price times quantity exceeds %d minor units", MaxAmount)
		return
	}
	if discount.Amount > gross.Amount {
		p.add(RuleDiscountExceedsLine, prefix+"discount.amount", "must not exceed unit price times quantity (%s)", gross)
	}
}

func notFound(orderID string) error {
	return es.Errorf(es.NotFound, RuleNotFound, "order %s does not exist", orderID)
}

func idMismatch(got, want string) error {
	return es.FieldErrorf(es.Invalid, RuleIDMismatch, "orderId", "command is for order %q, loaded order is %q", got, want)
}

// overflow rejects a command whose amounts are valid alone but whose sum with
// the order's lines would exceed MaxAmount.
func overflow(field, what string) error {
	return es.FieldErrorf(es.Rejected, RuleAmountOverflow, field, "the %s would exceed %d minor units", what, MaxAmount)
}
