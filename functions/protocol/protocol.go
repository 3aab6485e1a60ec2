// Package protocol is the wire format of the Azure Functions custom handler
// protocol for a Cosmos DB trigger, both directions: the invocation request
// the Functions host POSTs to the handler, and the reply it reads back.
// `orderctx functions` decodes requests with it; `orderctx funchost` builds
// them, byte for byte as the host does.
//
// The request for a batch of change feed documents is
//
//	POST /<FunctionName>
//	{"Data":{"<binding>":"\"[{\\\"id\\\":...}]\""},"Metadata":{"sys":{...},"RetryContext":{...}}}
//
// with the documents DOUBLE-ENCODED: the trigger hands non-.NET functions
// the batch as a string, the host serializes that string once more when it
// fills Data, and the request body serializes the result a third time. So
// Data.<binding> is a JSON string whose content is a JSON string literal
// whose content is the array of documents.
package protocol

import (
	"encoding/json"
	"time"
)

// Headers and environment variables of the protocol (azure-functions-host,
// HttpWorkerConstants).
const (
	HeaderInvocationID = "X-Azure-Functions-InvocationId"
	HeaderHostVersion  = "X-Azure-Functions-HostVersion"
	// UserAgentProduct is the User-Agent's product: "Azure-Functions-Host/<version>".
	UserAgentProduct = "Azure-Functions-Host"

	// EnvPort is the port the handler must listen on, on 127.0.0.1.
	EnvPort = "FUNCTIONS_CUSTOMHANDLER_PORT"
	// EnvWorkerID identifies the handler process to the host.
	EnvWorkerID = "FUNCTIONS_CUSTOMHANDLER_WORKER_ID"
	// EnvAppRoot is the function app's root folder.
	EnvAppRoot = "FUNCTIONS_APP_ROOT_PATH"
)

// Metadata is the request's Metadata object for a Cosmos DB trigger: the
// trigger adds no binding data of its own, so only "sys" and, on a retry,
// "RetryContext" appear.
type Metadata struct {
	Sys Sys `json:"sys"`
	// RetryContext is set on retries of a function with a retry policy.
	RetryContext *RetryContext `json:"RetryContext,omitempty"`
}

// Sys is the host's system binding data.
type Sys struct {
	// MethodName is the function's name.
	MethodName string `json:"MethodName"`
	// UtcNow is when the host started the invocation.
	UtcNow time.Time `json:"UtcNow"`
	// RandGuid is a new GUID per invocation.
	RandGuid string `json:"RandGuid"`
}

// RetryContext describes a retry: RetryCount is 1 on the first retry;
// MaxRetryCount is the policy's (-1: forever); Exception is why the
// previous attempt failed.
type RetryContext struct {
	RetryCount    int        `json:"RetryCount"`
	MaxRetryCount int        `json:"MaxRetryCount"`
	Exception     *Exception `json:"Exception,omitempty"`
}

// Exception is the part of a serialized .NET exception worth logging. The
// host writes the whole exception object (ClassName, Message, Source,
// StackTraceString, HResult...); a plain string is accepted as Message.
type Exception struct {
	ClassName        string `json:"ClassName,omitempty"`
	Message          string `json:"Message,omitempty"`
	Source           string `json:"Source,omitempty"`
	StackTraceString string `json:"StackTraceString,omitempty"`
}

// UnmarshalJSON accepts the exception object or a bare message string.
func (e *Exception) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &e.Message)
	}
	type plain Exception
	return json.Unmarshal(b, (*plain)(e))
}

// Reply is the handler's answer. The host reads it only from a 2xx
// response: it logs Logs, writes Outputs to output bindings and ignores
// ReturnValue for a trigger without a $return binding.
type Reply struct {
	Outputs     map[string]json.RawMessage `json:"Outputs"`
	Logs        []string                   `json:"Logs"`
	ReturnValue json.RawMessage            `json:"ReturnValue"`
}
