package cosmosemu

import (
	"encoding/json"
	"net/http"
	"strconv"

	"orderctx/infra/cosmosemu/epk"
	"orderctx/infra/cosmosemu/store"
)

// batchOp is one operation of a batch request body. PartitionKey is the
// operation's own partition key as a JSON array in a string ("[\"a\"]"), which
// bulk requests carry because their operations span partitions.
type batchOp struct {
	OperationType string          `json:"operationType"`
	ID            string          `json:"id"`
	IfMatch       string          `json:"ifMatch"`
	IfNoneMatch   string          `json:"ifNoneMatch"`
	PartitionKey  string          `json:"partitionKey"`
	ResourceBody  json.RawMessage `json:"resourceBody"`
}

// batch executes a batch request. An atomic (transactional) batch is all or
// nothing in one logical partition, answered 200 with per-operation results,
// or 207 with the failing operation's status and 424 for the rest. A
// non-atomic batch is how the SDKs send bulk operations: see bulk.
func (s *Server) batch(req *request, c *store.Container) error {
	ops, pks, err := batchOps(req)
	if err != nil {
		return err
	}
	if !isTrue(req.header("x-ms-cosmos-batch-atomic")) {
		return s.bulk(req, c, ops, pks)
	}
	pk, err := requirePartitionKey(req)
	if err != nil {
		return err
	}
	results, ok := c.Execute(pk, ops)
	req.session = s.sessionToken(c, pk)
	if first := results[0].Err; !ok && first != nil && first.Status == http.StatusServiceUnavailable {
		// The whole batch could not be answered (the store is closing).
		return first
	}
	committed := make([]bool, len(ops))
	for i := range committed {
		committed[i] = ok
	}
	body, charge := batchResponse(ops, results, committed, !minimal(req))
	req.charge = charge
	status := 200
	if !ok {
		status = http.StatusMultiStatus
	}
	s.writeRaw(req, status, body)
	return nil
}

// bulk executes a non-atomic batch (x-ms-cosmos-batch-atomic: False): each
// operation on its own, in its own logical partition (the operation's
// partitionKey, else the request's), with its own status. With
// x-ms-cosmos-batch-continue-on-error: True every operation runs; without
// it the first failure stops the batch and the operations after it answer
// 424. The answer is 200 when every operation succeeded, else 207.
func (s *Server) bulk(req *request, c *store.Container, ops []store.Op, pks []*store.PartitionKey) error {
	reqPK, hasReqPK, err := partitionKeyFrom(req)
	if err != nil {
		return err
	}
	continueOnError := isTrue(req.header("x-ms-cosmos-batch-continue-on-error"))
	results := make([]store.Result, len(ops))
	committed := make([]bool, len(ops))
	failed := false
	for i, op := range ops {
		pk := pks[i]
		switch {
		case failed && !continueOnError:
			results[i] = store.Result{Status: http.StatusFailedDependency}
			continue
		case pk == nil && !hasReqPK:
			results[i] = store.Result{Status: 400, Err: badRequest("Bulk operation %d has no partitionKey.", i)}
			failed = true
			continue
		case pk == nil:
			pk = &reqPK
		}
		one, ok := c.Execute(*pk, []store.Op{op})
		results[i], committed[i] = one[0], ok
		failed = failed || !ok
		req.session = s.sessionToken(c, *pk)
	}
	body, charge := batchResponse(ops, results, committed, !minimal(req))
	req.charge = charge
	status := 200
	if failed {
		status = http.StatusMultiStatus
	}
	s.writeRaw(req, status, body)
	return nil
}

// batchOps decodes and checks the operations of a batch request body, with
// the partition key each names (nil when it names none).
func batchOps(req *request) ([]store.Op, []*store.PartitionKey, error) {
	body, err := req.body(maxBatchBytes)
	if err != nil {
		return nil, nil, err
	}
	var wire []batchOp
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, nil, badRequest("The batch request body must be a JSON array of operations: %v", err)
	}
	if len(wire) == 0 {
		return nil, nil, badRequest("The batch request did not have any operations to be executed.")
	}
	if len(wire) > maxBatchOps {
		return nil, nil, badRequest("Batch request has more operations than what is supported (%d).", maxBatchOps)
	}
	ops := make([]store.Op, len(wire))
	pks := make([]*store.PartitionKey, len(wire))
	for i, w := range wire {
		op := store.Op{Kind: w.OperationType, ID: w.ID, IfMatch: w.IfMatch, IfNoneMatch: w.IfNoneMatch}
		switch w.OperationType {
		case store.OpCreate, store.OpUpsert, store.OpReplace:
			op.Body = w.ResourceBody
		case store.OpPatch:
			op.Patch = w.ResourceBody
		case store.OpRead, store.OpDelete:
		default:
			return nil, nil, badRequest("Batch operation %d has an unknown operationType %q.", i, w.OperationType)
		}
		if w.PartitionKey != "" {
			values, perr := epk.ParseHeader(w.PartitionKey)
			if perr != nil {
				return nil, nil, badRequest("Batch operation %d has an invalid partitionKey: %v", i, perr)
			}
			pk := store.NewPartitionKey(values)
			pks[i] = &pk
		}
		ops[i] = op
	}
	return ops, pks, nil
}

// batchResponse encodes the per-operation results of a batch and returns
// them with the batch's total charge; committed tells which operations took
// effect. Items come back with their etag, and with their body unless
// withBody is false (reads always carry theirs).
func batchResponse(ops []store.Op, results []store.Result, committed []bool, withBody bool) ([]byte, float64) {
	out := make([]byte, 0, 256*len(results))
	out = append(out, '[')
	total := 0.0
	for i, res := range results {
		if i > 0 {
			out = append(out, ',')
		}
		ok := committed[i]
		charge := opCharge(ops[i], res, ok)
		total += charge
		out = append(out, `{"statusCode":`...)
		out = strconv.AppendInt(out, int64(res.Status), 10)
		if res.Status >= 400 && res.Err != nil && res.Err.SubStatus != 0 {
			out = append(out, `,"subStatusCode":`...)
			out = strconv.AppendInt(out, int64(res.Err.SubStatus), 10)
		}
		out = append(out, `,"requestCharge":`...)
		out = strconv.AppendFloat(out, charge, 'f', 2, 64)
		if res.Doc != nil && ok {
			out = append(out, `,"eTag":`...)
			out = strconv.AppendQuote(out, res.Doc.ETag)
			if withBody || ops[i].Kind == store.OpRead {
				out = append(out, `,"resourceBody":`...)
				out = append(out, res.Doc.Body...)
			}
		}
		out = append(out, '}')
	}
	return append(out, ']'), total
}

// opCharge is one batch operation's request charge.
func opCharge(op store.Op, res store.Result, ok bool) float64 {
	switch {
	case !ok:
		return 0.5 // a failed batch is still charged a little, never zero
	case res.Doc != nil && op.Kind == store.OpRead:
		return readCharge(len(res.Doc.Body))
	case res.Doc != nil:
		return writeCharge(len(res.Doc.Body))
	case res.Status == 424:
		return 0
	case op.Kind == store.OpRead:
		return 1
	}
	return writeCharge(0)
}
