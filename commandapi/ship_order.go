package commandapi

import (
	"github.com/labstack/echo/v4"

	"orderctx/domain/order"
)

// shipOrderRequest is the body of POST /orders/{id}/ship.
type shipOrderRequest struct {
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
}

var shipOrderShape = objectShape(map[string]*shape{
	"carrier":        stringShape,
	"trackingNumber": stringShape,
})

// shipOrder handles POST /orders/{id}/ship; only a paid order ships.
func (a *API) shipOrder(c echo.Context) error {
	orderID, err := pathParam(c, "id", "orderId")
	if err != nil {
		return err
	}
	headers, err := a.begin(c, "ship_order", orderID)
	if err != nil {
		return err
	}
	var req shipOrderRequest
	if err := decodeBody(c, a.opts.MaxBodyBytes, shipOrderShape, &req); err != nil {
		return err
	}
	cmd := order.ShipOrder{OrderID: orderID, Carrier: req.Carrier, TrackingNumber: req.TrackingNumber}
	if err := cmd.Validate(); err != nil {
		return invalid(err)
	}
	return a.execute(c, command{
		name:    "ship_order",
		orderID: orderID,
		headers: headers,
		body:    req,
		decide:  func(o *order.Order) error { return o.Ship(cmd, a.opts.Clock.Now()) },
	})
}
