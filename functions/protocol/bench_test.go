package protocol_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"orderctx/functions/protocol"
)

// eventBatch is n event documents of about 330 bytes, with the quotes and
// escapes that the double encoding multiplies.
func eventBatch(n int) ([]json.RawMessage, int) {
	docs := make([]json.RawMessage, n)
	size := 0
	for i := range docs {
		docs[i] = json.RawMessage(fmt.Sprintf(`{"id":"order-1:%d","streamId":"order-1","version":%d,"type":"order.item_added","schemaVersion":1,`+
			`"data":{"productId":"p-%d","name":"Pen \"blue\"","quantity":2,"unitPrice":150},"eventId":"e-%d","commandId":"c-1",`+
			`"correlationId":"c-1","causationId":"c-1","occurredAt":"2025-04-09T04:46:10.1234567Z","_etag":"\"%08x\"","_ts":1744173970,"_lsn":%d}`,
			i+1, i+1, i, i, i, 160+i))
		size += len(docs[i])
	}
	return docs, size
}

func BenchmarkAppendRequest(b *testing.B) {
	docs, size := eventBatch(100)
	md := &protocol.Metadata{Sys: protocol.Sys{MethodName: "ProjectOrders", UtcNow: time.Now(), RandGuid: "0d00378b-6426-4af1-9fc0-0793f4ce3745"}}
	buf := make([]byte, 0, 64<<10)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		buf = protocol.AppendRequest(buf[:0], "documents", docs, md)
	}
}

func BenchmarkDecodeRequest(b *testing.B) {
	docs, size := eventBatch(100)
	md := &protocol.Metadata{Sys: protocol.Sys{MethodName: "ProjectOrders", UtcNow: time.Now(), RandGuid: "0d00378b-6426-4af1-9fc0-0793f4ce3745"}}
	body := protocol.AppendRequest(nil, "documents", docs, md)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := protocol.DecodeRequest(body, "documents", protocol.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
