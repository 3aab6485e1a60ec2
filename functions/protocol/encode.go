package protocol

import (
	"encoding/json"
	"strconv"
	"time"
)

// AppendRequest appends the body the Functions host sends to invoke a
// function for a batch of change feed documents: the documents
// double-encoded under the binding's name, then Metadata. It writes in one
// pass over the documents, without intermediate copies.
func AppendRequest(dst []byte, binding string, docs []json.RawMessage, md *Metadata) []byte {
	dst = append(dst, `{"Data":{`...)
	dst = appendQuoted(dst, binding)
	dst = append(dst, `:"\"[`...)
	for i, d := range docs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendEscaped(dst, d, 2)
	}
	dst = append(dst, `]\""},"Metadata":`...)
	return appendMetadata(dst, md)
}

// appendMetadata writes Metadata as the host does: "sys" always,
// "RetryContext" on retries.
func appendMetadata(dst []byte, md *Metadata) []byte {
	if md == nil {
		md = &Metadata{}
	}
	dst = append(dst, `{"sys":{"MethodName":`...)
	dst = appendQuoted(dst, md.Sys.MethodName)
	dst = append(dst, `,"UtcNow":"`...)
	// .NET writes up to seven fractional digits, trailing zeros trimmed.
	dst = md.Sys.UtcNow.UTC().Truncate(100*time.Nanosecond).AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","RandGuid":`...)
	dst = appendQuoted(dst, md.Sys.RandGuid)
	dst = append(dst, '}')
	if rc := md.RetryContext; rc != nil {
		dst = append(dst, `,"RetryContext":{"RetryCount":`...)
		dst = strconv.AppendInt(dst, int64(rc.RetryCount), 10)
		dst = append(dst, `,"MaxRetryCount":`...)
		dst = strconv.AppendInt(dst, int64(rc.MaxRetryCount), 10)
		dst = append(dst, `,"Exception":`...)
		if rc.Exception == nil {
			dst = append(dst, "null"...)
		} else {
			b, _ := json.Marshal((*plainException)(rc.Exception))
			dst = append(dst, b...)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}', '}')
}

// plainException marshals an Exception without its custom decoder.
type plainException Exception

// AppendReply appends a successful reply: no outputs, the log lines, no
// return value.
func AppendReply(dst []byte, logs []string) []byte {
	dst = append(dst, `{"Outputs":{},"Logs":[`...)
	for i, l := range logs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendQuoted(dst, l)
	}
	return append(dst, `],"ReturnValue":null}`...)
}
