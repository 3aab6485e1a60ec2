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
	var req cancelOrderRequest
	orderID, headers, err := a.beginOnOrder(c, commandCancelOrder, cancelOrderShape, &req)
	if err != nil {
		return err
	}
	return a.execute(c, command{
		name:    commandCancelOrder,
		orderID: orderID,
		headers: headers,
		body:    req,
		decide:  func(o *order.Order) error { return o.Cancel(req.command(orderID), a.opts.Clock.Now()) },
	})
}

func (r cancelOrderRequest) command(orderID string) order.CancelOrder {
	return order.CancelOrder{OrderID: orderID, Reason: r.Reason}
}

func (r cancelOrderRequest) validate(orderID string) error { return r.command(orderID).Validate() }
