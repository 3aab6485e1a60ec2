package queryapi

import (
	"math/big"
	"net/http"

	"github.com/labstack/echo/v4"

	"orderctx/infra/httpapi"
	"orderctx/queryapi/readmodel"
)

// StatsResponse is the body of GET /orders/stats. Amounts are sums of order
// totals in minor units of their currency (exact; they may exceed 2^53).
type StatsResponse struct {
	Orders   int64                  `json:"orders"`
	ByStatus map[string]StatusStats `json:"byStatus"`
}

// StatusStats counts the orders of one status, and by currency.
type StatusStats struct {
	Orders     int64                     `json:"orders"`
	ByCurrency map[string]CurrencyAmount `json:"byCurrency"`
}

// CurrencyAmount is the number of orders in one currency and their sum.
type CurrencyAmount struct {
	Orders int64    `json:"orders"`
	Total  *big.Int `json:"total"`
}

// stats handles GET /orders/stats: counts and amounts by status and
// currency, every known status present (with zeros) so clients need no
// special case.
func (a *API) stats(c echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	if err := a.readable(); err != nil {
		return err
	}
	s := a.model.Stats()
	out := StatsResponse{Orders: s.Orders, ByStatus: make(map[string]StatusStats)}
	for _, st := range readmodel.Statuses {
		out.ByStatus[st] = StatusStats{ByCurrency: map[string]CurrencyAmount{}}
	}
	for st, byCurrency := range s.ByStatus {
		ss := StatusStats{ByCurrency: make(map[string]CurrencyAmount, len(byCurrency))}
		for cur, amt := range byCurrency {
			ss.Orders += amt.Orders
			ss.ByCurrency[cur] = CurrencyAmount{Orders: amt.Orders, Total: amt.Total}
		}
		out.ByStatus[st] = ss
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return httpapi.WriteJSON(c, http.StatusOK, out)
}
