package cosmosemu

import (
	"orderctx/infra/cosmosemu/cosmossql"
	"orderctx/infra/cosmosemu/queryplan"
	"orderctx/infra/cosmosemu/store"
)

// queryPlanCharge is the request charge of a query plan request; the
// gateway plans without reading items.
const queryPlanCharge = 1

// queryPlan answers a query request with x-ms-cosmos-is-query-plan-request:
// the gateway's plan document, after checking that the client declared (in
// x-ms-cosmos-supported-query-features) every feature the plan needs. The
// client then sends the plan's rewritten query to each partition key range
// (x-ms-documentdb-partitionkeyrangeid), which runQuery serves like any
// query of one range.
func (s *Server) queryPlan(req *request, c *store.Container, spec querySpec) error {
	q, err := s.parseQuery(spec.Query)
	if err != nil {
		return badRequest("%s", err.Error())
	}
	doc, err := planDocument(c, q, spec.params())
	if err != nil {
		return badRequest("%s", err.Error())
	}
	features := queryplan.ParseFeatures(req.header("x-ms-cosmos-supported-query-features"))
	if missing := doc.Missing(features); len(missing) > 0 {
		return &store.Error{Status: 400, SubStatus: queryplan.RefusalSubstatus, Code: "BadRequest", Message: queryplan.RefusalMessage(missing)}
	}
	req.charge = queryPlanCharge
	s.writeRaw(req, 200, doc.JSON())
	return nil
}

// planDocument plans q over c: the whole key space, or the one effective
// partition key that the WHERE clause pins.
func planDocument(c *store.Container, q *cosmossql.Query, params map[string]any) (queryplan.Document, error) {
	paths := c.PartitionKeyPaths()
	p, err := q.Plan(params, paths)
	if err != nil {
		return queryplan.Document{}, err
	}
	ranges := []queryplan.Range{queryplan.FullRange}
	if values, ok := q.PartitionKeyValues(paths, params); ok {
		if e, err := c.EffectivePartitionKey(values); err == nil {
			ranges = []queryplan.Range{queryplan.PointRange(e)}
		}
	}
	return queryplan.New(p, ranges), nil
}

// refusalPlan is the plan a cross-partition refusal carries as its
// additionalErrorInfo ("" when the query cannot be planned), which tells
// the JavaScript SDK to plan the query itself.
func refusalPlan(c *store.Container, q *cosmossql.Query, params map[string]any) string {
	doc, err := planDocument(c, q, params)
	if err != nil {
		return ""
	}
	return string(doc.JSON())
}
