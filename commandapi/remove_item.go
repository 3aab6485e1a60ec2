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
	headers, err := a.begin(c, "remove_item", orderID)
	if err != nil {
		return err
	}
	cmd := order.RemoveItem{OrderID: orderID, ProductID: productID}
	if err := cmd.Validate(); err != nil {
		return invalid(err)
	}
	return a.execute(c, command{
		name:    "remove_item",
		orderID: orderID,
		headers: headers,
		body:    removeItemRequest{ProductID: productID},
		decide:  func(o *order.Order) error { return o.RemoveItem(cmd) },
	})
}
