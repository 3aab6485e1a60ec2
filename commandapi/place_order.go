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
	headers, err := a.begin(c, commandPlaceOrder, "")
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
	return a.execute(c, command{
		name:    commandPlaceOrder,
		orderID: orderID,
		headers: headers,
		body:    req,
		created: true,
		decide:  func(o *order.Order) error { return o.Place(req.command(orderID), a.opts.Clock.Now()) },
	})
}

// command builds the domain command; numbers missing from items get valid
// stand-ins, which validate reports as missing.
func (r placeOrderRequest) command(orderID string) order.PlaceOrder {
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
	if len(r.Items) > 0 {
		cmd.Items = make([]order.ItemInput, 0, len(r.Items))
	}
	for _, it := range r.Items {
		cmd.Items = append(cmd.Items, it.input(r.Currency))
	}
	return cmd
}

// validate reports every problem at once: the numbers the items lack, then
// the domain command's own validation.
func (r placeOrderRequest) validate(orderID string) error {
	var errs []error
	for i, it := range r.Items {
		errs = append(errs, it.missing(fmt.Sprintf("items[%d].", i))...)
	}
	return errors.Join(append(errs, r.command(orderID).Validate())...)
}
