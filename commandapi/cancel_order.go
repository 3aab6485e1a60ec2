package commandapi

import (
	"github.com/labstack/echo/v4"

	"orderctx/domain/order"
)

// cancelOrderRequest is the body of POST /orders/{id}/cancel.
type cancelOrderRequest struct {
	Reason string `json:"reason"`
}

var cancelOrderShape = objectShape(map[string]*shape{
	"reason": stringShape,
})

// cancelOrder handles POST /orders/{id}/cancel; a shipped order cannot be
// cancelled, a paid one records the refund due.
func (a *API) cancelOrder(c echo.Context) error {
	orderID, err := pathParam(c, "id", "orderId")
	if err != nil {
		return err
	}
	headers, err := a.begin(c, "cancel_order", orderID)
	if err != nil {
		return err
	}
	var req cancelOrderRequest
	if err := decodeBody(c, a.opts.MaxBodyBytes, cancelOrderShape, &req); err != nil {
		return err
	}
	cmd := order.CancelOrder{OrderID: orderID, Reason: req.Reason}
	if err := cmd.Validate(); err != nil {
		return invalid(err)
	}
	return a.execute(c, command{
		name:    "cancel_order",
		orderID: orderID,
		headers: headers,
		body:    req,
		decide:  func(o *order.Order) error { return o.Cancel(cmd, a.opts.Clock.Now()) },
	})
}
