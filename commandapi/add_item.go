package commandapi

import (
	"errors"

	"github.com/labstack/echo/v4"

	"orderctx/domain/order"
)

// addItemRequest is the body of POST /orders/{id}/items: one item, as in the
// items of POST /orders.
type addItemRequest itemBody

var addItemShape = itemShape

// addItem handles POST /orders/{id}/items: one item, priced in the order's
// currency. Adding a product that is in the order merges the lines.
func (a *API) addItem(c echo.Context) error {
	var req addItemRequest
	orderID, headers, err := a.beginOnOrder(c, commandAddItem, addItemShape, &req)
	if err != nil {
		return err
	}
	return a.execute(c, command{
		name:    commandAddItem,
		orderID: orderID,
		headers: headers,
		body:    req,
		decide: func(o *order.Order) error {
			if !o.Exists() {
				return orderNotFound(orderID)
			}
			return o.AddItem(req.command(orderID, o.State().Currency))
		},
	})
}

// command builds the domain command in the order's currency.
func (r addItemRequest) command(orderID, currency string) order.AddItem {
	return order.AddItem{OrderID: orderID, ItemInput: itemBody(r).input(currency)}
}

func (r addItemRequest) validate(orderID string) error {
	return errors.Join(append(itemBody(r).missing(""), r.command(orderID, validationCurrency).Validate())...)
}
