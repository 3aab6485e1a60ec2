package readmodel_test

import (
	"fmt"
	"testing"
	"time"

	"orderctx/queryapi/readmodel"
)

// t0 is the placed date of the first test order.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// spec is the indexed part of a test view.
type spec struct {
	id, status, buyer, currency string
	total                       int64
	placed                      time.Time
	version                     int64
}

// doc renders a view document as the projector stores it, with Cosmos DB's
// system properties.
func (s spec) doc() []byte {
	return fmt.Appendf(nil, `{"id":%q,"orderId":%q,"status":%q,"buyerId":%q,"currency":%q,`+
		`"shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"},`+
		`"items":[{"productId":"p1","name":"Pen","quantity":1,"unitPrice":%d,"discount":0,"lineTotal":%d}],`+
		`"total":%d,"refundDue":null,"paymentReference":null,"carrier":null,"trackingNumber":null,"cancelReason":null,`+
		`"placedAt":%q,"updatedAt":%q,"version":%d,`+
		`"_rid":"abc==","_self":"dbs/x/colls/y/docs/z/","_etag":"\"0000-0000\"","_attachments":"attachments/","_ts":1767225600,"_lsn":7}`,
		s.id, s.id, s.status, s.buyer, s.currency, s.total, s.total, s.total,
		s.placed.Format(time.RFC3339Nano), s.placed.Format(time.RFC3339Nano), s.version)
}

func (s spec) view(t testing.TB) *readmodel.View {
	t.Helper()
	v, err := readmodel.ParseView(s.doc())
	if err != nil {
		t.Fatalf("parse %s: %v", s.id, err)
	}
	return v
}

func apply(t testing.TB, m *readmodel.Model, specs ...spec) []*readmodel.View {
	t.Helper()
	views := make([]*readmodel.View, len(specs))
	for i, s := range specs {
		views[i] = s.view(t)
	}
	applied, err := m.Apply(views)
	if err != nil {
		t.Fatal(err)
	}
	return applied
}

func ids(views []*readmodel.View) []string {
	out := make([]string, len(views))
	for i, v := range views {
		out[i] = v.ID
	}
	return out
}
