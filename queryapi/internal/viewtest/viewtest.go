// Package viewtest renders order view documents as the projector stores
// them, Cosmos DB system properties included, for the query side's tests
// and benchmarks.
package viewtest

import (
	"fmt"
	"time"
)

// T0 is a convenient placed date.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Spec is the indexed part of a view; Doc fills in the rest.
type Spec struct {
	ID, Status, Buyer, Currency string
	Total                       int64
	Placed                      time.Time
	Version                     int64
}

// Doc renders the stored document of s: one line item worth the total, the
// projector's null members, and Cosmos DB's system properties.
func (s Spec) Doc() []byte {
	placed := s.Placed.UTC().Format(time.RFC3339Nano)
	return fmt.Appendf(nil, `{"id":%q,"orderId":%q,"status":%q,"buyerId":%q,"currency":%q,`+
		`"shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"},`+
		`"items":[{"productId":"p1","name":"Pen","quantity":1,"unitPrice":%d,"discount":0,"lineTotal":%d}],`+
		`"total":%d,"refundDue":null,"paymentReference":null,"carrier":null,"trackingNumber":null,"cancelReason":null,`+
		`"placedAt":%q,"updatedAt":%q,"version":%d,`+
		`"_rid":"abc==","_self":"dbs/x/colls/y/docs/z/","_etag":"\"0000-0000\"","_attachments":"attachments/","_ts":1767225600,"_lsn":7}`,
		s.ID, s.ID, s.Status, s.Buyer, s.Currency, s.Total, s.Total, s.Total, placed, placed, s.Version)
}

// Served is the document the query API serves for s: Doc without the
// system properties.
func (s Spec) Served() string {
	d := string(s.Doc())
	const sys = `,"_rid":"abc==","_self":"dbs/x/colls/y/docs/z/","_etag":"\"0000-0000\"","_attachments":"attachments/","_ts":1767225600,"_lsn":7}`
	return d[:len(d)-len(sys)] + "}"
}
