package commandapi

import (
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"orderctx/domain/order"
)

// placeOrderRequest is the body of POST /orders.
type placeOrderRequest struct {
	OrderID         string      `json:"orderId"`
	BuyerID         string      `json:"buyerId"`
	Currency        string      `json:"currency"`
	ShippingAddress addressBody `json:"shippingAddress"`
	Items           []itemBody  `json:"items"`
}

type addressBody struct {
	Street     string `json:"street"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

var placeOrderShape = objectShape(map[string]*shape{
	"orderId":         idShape,
	"buyerId":         stringShape,
	"currency":        stringShape,
	"shippingAddress": addressShape,
	"items":           arrayShape(itemShape),
})

// placeOrder handles POST /orders: 201 with Location /orders/{id}. Without
// orderId the server assigns one, derived from the Idempotency-Key when there
// is one so that a retry addresses the same order.
func (a *API) placeOrder(c echo.Context) error {
	headers, err := a.begin(c, "place_order", "")
	if err != nil {
		return err
	}
	var req placeOrderRequest
	if err := decodeBody(c, a.opts.MaxBodyBytes, placeOrderShape, &req); err != nil {
		return err
	}
	orderID := req.OrderID
	switch {
	case orderID != "":
	case headers.key != "":
		orderID = orderIDFromKey(headers.key)
	default:
		orderID = a.opts.NewID()
	}
	infoOf(c).orderID = orderID
	cmd, err := req.command(orderID)
	if err != nil {
		return invalid(err)
	}
	return a.execute(c, command{
		name:    "place_order",
		orderID: orderID,
		headers: headers,
		body:    req,
		created: true,
		decide:  func(o *order.Order) error { return o.Place(cmd, a.opts.Clock.Now()) },
	})
}

// command builds and validates the domain command; every problem is returned
// at once.
func (r placeOrderRequest) command(orderID string) (order.PlaceOrder, error) {
	cmd := order.PlaceOrder{
		OrderID:  orderID,
		BuyerID:  r.BuyerID,
		Currency: r.Currency,
		ShippingAddress: order.Address{
			Street:     r.ShippingAddress.Street,
			City:       r.ShippingAddress.City,
			PostalCode: r.ShippingAddress.PostalCode,
			Country:    r.ShippingAddress.Country,
		},
	}
	var missing []error
	if len(r.Items) > 0 {
		cmd.Items = make([]order.ItemInput, 0, len(r.Items))
	}
	for i, it := range r.Items {
		in, m := it.input(fmt.Sprintf("items[%d].", i), r.Currency)
		cmd.Items = append(cmd.Items, in)
		missing = append(missing, m...)
	}
	return cmd, errors.Join(append(missing, cmd.Validate())...)
}
