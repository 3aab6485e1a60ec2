package commandapi

import (
	"github.com/labstack/echo/v4"

	"orderctx/domain/order"
)

// removeItemRequest is what DELETE /orders/{id}/items/{productId} asks; it has
// no body, so the product id stands in for it in the request hash.
type removeItemRequest struct {
	ProductID string `json:"productId"`
}

// removeItem handles DELETE /orders/{id}/items/{productId}: the product's
// whole line leaves the order; a product not in the order is 404.
func (a *API) removeItem(c echo.Context) error {
	orderID, err := pathParam(c, "id", "orderId")
	if err != nil {
		return err
	}
	productID, err := pathParam(c, "productId", "productId")
	if err != nil {
		return err
	}
	headers, err := a.begin(c, commandRemoveItem, orderID)
	if err != nil {
		return err
	}
	req := removeItemRequest{ProductID: productID}
	return a.execute(c, command{
		name:    commandRemoveItem,
		orderID: orderID,
		headers: headers,
		body:    req,
		decide:  func(o *order.Order) error { return o.RemoveItem(req.command(orderID)) },
	})
}

func (r removeItemRequest) command(orderID string) order.RemoveItem {
	return order.RemoveItem{OrderID: orderID, ProductID: r.ProductID}
}

func (r removeItemRequest) validate(orderID string) error { return r.command(orderID).Validate() }
