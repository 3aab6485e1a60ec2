package commandapi

import (
	"errors"

	"github.com/labstack/echo/v4"

	"orderctx/domain/order"
)

var addItemShape = itemShape

// addItem handles POST /orders/{id}/items: one item, priced in the order's
// currency. Adding a product that is in the order merges the lines.
func (a *API) addItem(c echo.Context) error {
	orderID, err := pathParam(c, "id", "orderId")
	if err != nil {
		return err
	}
	headers, err := a.begin(c, "add_item", orderID)
	if err != nil {
		return err
	}
	var req itemBody
	if err := decodeBody(c, a.opts.MaxBodyBytes, addItemShape, &req); err != nil {
		return err
	}
	if err := addItemCommand(orderID, req, validationCurrency).validate(); err != nil {
		return invalid(err)
	}
	return a.execute(c, command{
		name:    "add_item",
		orderID: orderID,
		headers: headers,
		body:    req,
		decide: func(o *order.Order) error {
			if !o.Exists() {
				return orderNotFound(orderID)
			}
			cmd := addItemCommand(orderID, req, o.State().Currency)
			return o.AddItem(cmd.AddItem)
		},
	})
}

// addItemInput is an AddItem with the body's missing numbers.
type addItemInput struct {
	order.AddItem
	missing []error
}

func addItemCommand(orderID string, req itemBody, currency string) addItemInput {
	in, missing := req.input("", currency)
	return addItemInput{AddItem: order.AddItem{OrderID: orderID, ItemInput: in}, missing: missing}
}

func (c addItemInput) validate() error {
	return errors.Join(append(c.missing, c.Validate())...)
}
