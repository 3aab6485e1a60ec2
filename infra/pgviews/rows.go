package pgviews

import (
	"context"

	"github.com/jackc/pgx/v5"

	"orderctx/domain/orderview"
)

// insertOrder creates an order's row; no row comes back when it exists.
const insertOrder = `
INSERT INTO orders (order_id, status, buyer_id, currency, total, refund_due, payment_reference, carrier,
	tracking_number, cancel_reason, ship_street, ship_city, ship_postal_code, ship_country,
	placed_at, paid_at, shipped_at, cancelled_at, updated_at, version)
VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), NULLIF($8, ''), NULLIF($9, ''), NULLIF($10, ''),
	$11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
ON CONFLICT (order_id) DO NOTHING
RETURNING version`

// updateOrder replaces an order's row if it still has version $21 and the
// new version is higher; no row comes back otherwise.
const updateOrder = `
UPDATE orders SET status = $2, buyer_id = $3, currency = $4, total = $5, refund_due = $6,
	payment_reference = NULLIF($7, ''), carrier = NULLIF($8, ''), tracking_number = NULLIF($9, ''),
	cancel_reason = NULLIF($10, ''), ship_street = $11, ship_city = $12, ship_postal_code = $13, ship_country = $14,
	placed_at = $15, paid_at = $16, shipped_at = $17, cancelled_at = $18, updated_at = $19, version = $20
WHERE order_id = $1 AND version = $21 AND version < $20
RETURNING version`

// insertItems writes an order's items from parallel arrays, one statement.
const insertItems = `
INSERT INTO order_items (order_id, line_no, product_id, name, quantity, unit_price, discount, line_total)
SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[], $5::integer[], $6::bigint[], $7::bigint[], $8::bigint[])`

func orderArgs(v orderview.View) []any {
	a := v.ShippingAddress
	return []any{v.ID, string(v.Status), v.BuyerID, v.Currency, v.Total, v.RefundDue, v.PaymentReference, v.Carrier,
		v.TrackingNumber, v.CancelReason, a.Street, a.City, a.PostalCode, a.Country,
		v.PlacedAt, v.PaidAt, v.ShippedAt, v.CancelledAt, v.UpdatedAt, v.Version}
}

func itemArgs(v orderview.View) []any {
	n := len(v.Items)
	lines, names, products := make([]int32, n), make([]string, n), make([]string, n)
	quantities, prices, discounts, totals := make([]int32, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, it := range v.Items {
		lines[i], products[i], names[i] = int32(i), it.ProductID, it.Name
		quantities[i], prices[i], discounts[i], totals[i] = int32(it.Quantity), it.UnitPrice, it.Discount, it.LineTotal
	}
	return []any{v.ID, lines, products, names, quantities, prices, discounts, totals}
}

const selectOrders = `
SELECT order_id, status, buyer_id, currency, total, refund_due, coalesce(payment_reference, ''), coalesce(carrier, ''),
	coalesce(tracking_number, ''), coalesce(cancel_reason, ''), ship_street, ship_city, ship_postal_code, ship_country,
	placed_at, paid_at, shipped_at, cancelled_at, updated_at, version
FROM orders `

const selectItems = `
SELECT order_id, product_id, name, quantity, unit_price, discount, line_total FROM order_items `

// read returns the orders a WHERE clause selects (all with ""), by id, with
// their items in line order.
func (s *Store) read(ctx context.Context, where string, args ...any) ([]orderview.View, error) {
	rows, err := s.pool.Query(ctx, selectOrders+where+" ORDER BY order_id", args...)
	if err != nil {
		return nil, unavailable(err, "read orders")
	}
	views, err := pgx.CollectRows(rows, scanOrder)
	if err != nil {
		return nil, unavailable(err, "read orders")
	}
	byID := make(map[string]*orderview.View, len(views))
	for i := range views {
		byID[views[i].ID] = &views[i]
	}
	rows, err = s.pool.Query(ctx, selectItems+where+" ORDER BY order_id, line_no", args...)
	if err != nil {
		return nil, unavailable(err, "read order items")
	}
	var orderID string
	var it orderview.Item
	_, err = pgx.ForEachRow(rows, []any{&orderID, &it.ProductID, &it.Name, &it.Quantity, &it.UnitPrice, &it.Discount, &it.LineTotal}, func() error {
		if v := byID[orderID]; v != nil {
			v.Items = append(v.Items, it)
		}
		return nil
	})
	return views, unavailable(err, "read order items")
}

func scanOrder(row pgx.CollectableRow) (orderview.View, error) {
	var v orderview.View
	var status string
	a := &v.ShippingAddress
	err := row.Scan(&v.ID, &status, &v.BuyerID, &v.Currency, &v.Total, &v.RefundDue, &v.PaymentReference, &v.Carrier,
		&v.TrackingNumber, &v.CancelReason, &a.Street, &a.City, &a.PostalCode, &a.Country,
		&v.PlacedAt, &v.PaidAt, &v.ShippedAt, &v.CancelledAt, &v.UpdatedAt, &v.Version)
	v.OrderID, v.Status = v.ID, orderview.Status(status)
	return AsStored(v), err
}
