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
	var req shipOrderRequest
	orderID, headers, err := a.beginOnOrder(c, commandShipOrder, shipOrderShape, &req)
	if err != nil {
		return err
	}
	return a.execute(c, command{
		name:    commandShipOrder,
		orderID: orderID,
		headers: headers,
		body:    req,
		decide:  func(o *order.Order) error { return o.Ship(req.command(orderID), a.opts.Clock.Now()) },
	})
}

func (r shipOrderRequest) command(orderID string) order.ShipOrder {
	return order.ShipOrder{OrderID: orderID, Carrier: r.Carrier, TrackingNumber: r.TrackingNumber}
}

func (r shipOrderRequest) validate(orderID string) error { return r.command(orderID).Validate() }
