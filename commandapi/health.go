package commandapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"orderctx/domain/es"
	"orderctx/infra/httpapi"
)

// readyTimeout bounds the store probe of /readyz, so a hanging store makes
// the probe fail instead of hang.
const readyTimeout = 2 * time.Second

// healthz handles GET /healthz: the process is up and serving.
func (a *API) healthz(c echo.Context) error {
	return httpapi.WriteJSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz handles GET /readyz: the store can be reached, so commands can succeed.
func (a *API) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	if err := a.store.Ready(ctx); err != nil {
		if es.ErrorCode(err) != es.Unavailable {
			err = fmt.Errorf("%w: %w", es.Errorf(es.Unavailable, es.RuleStoreUnavailable, "store not ready: %v", err), err)
		}
		infoOf(c).internal = err
		return err
	}
	return httpapi.WriteJSON(c, http.StatusOK, map[string]string{"status": "ready"})
}
