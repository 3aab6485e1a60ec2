package cosmosdb

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"orderctx/domain/es"
)

// Translate turns an SDK or transport error into a domain error, so that the
// code above infra decides between retrying and failing by es.ErrorCode alone:
// throttling, timeouts, server faults, a missing container, refused
// credentials and unreachable hosts are es.Unavailable (try again later);
// other statuses are es.Internal. Context errors pass through unchanged.
// Callers map the statuses that mean something to them (404, 409, 412)
// before calling it. what names the operation in the message.
func Translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusRequestTimeout,
			http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusGone:
			return &es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: fmt.Sprintf("%s: the store answered %d", what, re.StatusCode)}
		case http.StatusNotFound:
			return &es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: what + ": the database or container does not exist"}
		case http.StatusUnauthorized, http.StatusForbidden:
			return &es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: what + ": the store refused the credentials"}
		}
		return es.Errorf(es.Internal, "es.store_error", "%s: status %d: %v", what, re.StatusCode, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// Transport failures (connection refused, DNS, TLS): the store is unreachable.
	return &es.Error{Code: es.Unavailable, Rule: es.RuleStoreUnavailable, Message: fmt.Sprintf("%s: %v", what, err)}
}
