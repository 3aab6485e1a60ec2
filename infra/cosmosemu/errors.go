package cosmosemu

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"orderctx/infra/cosmosemu/store"
)

// Handlers return their failures; serve answers them here, in one place.
// A *store.Error anywhere in the error's chain is Cosmos DB's own answer
// (status, sub-status, code and message) and is written as it is; any other
// error is a fault of this server, logged and answered 500 without detail.

// errInternal is the answer to a failure that is not a *store.Error.
var errInternal = &store.Error{Status: 500, Code: "InternalServerError", Message: "The server encountered an internal error."}

// writeError writes err as Cosmos DB does: status, x-ms-substatus and a
// {code, message[, additionalErrorInfo]} body.
func (s *Server) writeError(req *request, err error) {
	var se *store.Error
	if !errors.As(err, &se) {
		s.log.Error("cosmos request failed", "method", req.method, "path", req.path, "err", err)
		se = errInternal
	}
	s.headers(req, true)
	if se.SubStatus != 0 {
		req.setHeader("X-Ms-Substatus", strconv.Itoa(se.SubStatus))
	}
	req.writeHeader(se.Status)
	if se.Status == http.StatusNotModified {
		return
	}
	body := make([]byte, 0, 64+len(se.Message))
	body = append(body, `{"code":`...)
	body = strconv.AppendQuote(body, se.Code)
	body = append(body, `,"message":`...)
	body = appendJSONString(body, se.Message)
	if se.AdditionalInfo != "" {
		body = append(body, `,"additionalErrorInfo":`...)
		body = appendJSONString(body, se.AdditionalInfo)
	}
	body = append(body, '}')
	req.write(body)
}

func badRequest(format string, args ...any) *store.Error {
	return &store.Error{Status: 400, Code: "BadRequest", Message: fmt.Sprintf(format, args...)}
}

func notFound(what string) *store.Error {
	return &store.Error{Status: 404, Code: "NotFound", Message: "Resource Not Found: " + what}
}

// methodNotAllowed refuses a method on a kind of resource ("databases", "an item").
func methodNotAllowed(on string) *store.Error {
	return &store.Error{Status: 405, Code: "MethodNotAllowed", Message: "The method is not allowed on " + on + "."}
}

func tooLarge(limit int64) *store.Error {
	return &store.Error{Status: 413, Code: "RequestEntityTooLarge", Message: "Request size is too large: at most " + strconv.FormatInt(limit, 10) + " bytes."}
}
