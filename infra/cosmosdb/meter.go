package cosmosdb

import (
	"net/http"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"orderctx/domain/es"
)

// meterPolicy reports every request the SDK sends, and the request charge
// (x-ms-request-charge) of its answer, to the es.Meter of the call's
// context. It runs once per try, so the SDK's own retries count too: what
// the command side logs as a command's cost is what Cosmos DB billed.
type meterPolicy struct{}

func (meterPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	m := es.MeterFrom(req.Raw().Context())
	if m == nil {
		return resp, err
	}
	charge := 0.0
	if resp != nil {
		charge, _ = strconv.ParseFloat(resp.Header.Get("x-ms-request-charge"), 64)
	}
	m.Add(charge)
	return resp, err
}
