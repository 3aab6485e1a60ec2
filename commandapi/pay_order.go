package commandapi

import (
	"errors"

	"github.com/labstack/echo/v4"

	"orderctx/domain/order"
)

// payOrderRequest is the body of POST /orders/{id}/pay. Amount is in minor
// units of the order's currency and must equal the order total.
type payOrderRequest struct {
	PaymentReference string `json:"paymentReference"`
	Amount           *int64 `json:"amount"`
}

var payOrderShape = objectShape(map[string]*shape{
	"paymentReference": stringShape,
	"amount":           integerShape,
})

// payOrder handles POST /orders/{id}/pay.
func (a *API) payOrder(c echo.Context) error {
	var req payOrderRequest
	orderID, headers, err := a.beginOnOrder(c, commandPayOrder, payOrderShape, &req)
	if err != nil {
		return err
	}
	return a.execute(c, command{
		name:    commandPayOrder,
		orderID: orderID,
		headers: headers,
		body:    req,
		decide: func(o *order.Order) error {
			if !o.Exists() {
				return orderNotFound(orderID)
			}
			return o.Pay(req.command(orderID, o.State().Currency), a.opts.Clock.Now())
		},
	})
}

func (r payOrderRequest) command(orderID, currency string) order.PayOrder {
	cmd := order.PayOrder{OrderID: orderID, PaymentReference: r.PaymentReference, Amount: order.Money{Currency: currency}}
	if r.Amount != nil {
		cmd.Amount.Amount = *r.Amount
	}
	return cmd
}

func (r payOrderRequest) validate(orderID string) error {
	var missing error
	if r.Amount == nil {
		missing = required("amount")
	}
	return errors.Join(missing, r.command(orderID, validationCurrency).Validate())
}
