package queryplan

import "strings"

// A client lists the query features it can run itself in the header
// x-ms-cosmos-supported-query-features (.NET: "Aggregate, Distinct, ...";
// JavaScript: "NonValueAggregate,Aggregate,..."). The gateway refuses a plan
// that needs a feature the client left out, with HTTP 400, sub-status
// RefusalSubstatus and RefusalMessage; the rules below follow the .NET SDK's
// former client-side check (QueryPlanHandler.QueryPlanExceptionFactory),
// with GroupBy added.

// RefusalSubstatus is the x-ms-substatus of a refused plan
// (CrossPartitionQueryNotServable).
const RefusalSubstatus = 1004

// Features is the set of feature names a client declared.
type Features map[string]bool

// ParseFeatures reads the header's comma-separated list; an absent header
// declares nothing.
func ParseFeatures(header string) Features {
	f := Features{}
	for _, name := range strings.Split(header, ",") {
		if name = strings.TrimSpace(name); name != "" {
			f[name] = true
		}
	}
	return f
}

// Missing lists, in the gateway's order, the features the plan needs that
// f does not declare.
func (d Document) Missing(f Features) []string {
	qi := d.QueryInfo
	var need []string
	aggregates := len(qi.Aggregates)
	for _, a := range qi.GroupByAliasToAggregateType {
		if a != nil {
			aggregates++
		}
	}
	switch {
	case aggregates == 1 && qi.HasSelectValue:
		need = append(need, "Aggregate")
	case aggregates == 1:
		need = append(need, "NonValueAggregate")
	case aggregates > 1:
		need = append(need, "NonValueAggregate", "MultipleAggregates")
	}
	if qi.DistinctType != "None" {
		need = append(need, "Distinct")
	}
	if qi.Top != nil {
		need = append(need, "Top")
	}
	switch {
	case len(qi.OrderBy) == 1:
		need = append(need, "OrderBy")
	case len(qi.OrderBy) > 1:
		need = append(need, "MultipleOrderBy")
	}
	if qi.Offset != nil || qi.Limit != nil {
		need = append(need, "OffsetAndLimit")
	}
	if len(qi.GroupByExpressions) > 0 {
		need = append(need, "GroupBy")
	}
	var missing []string
	for _, n := range need {
		if !f[n] {
			missing = append(missing, n)
		}
	}
	return missing
}

// RefusalMessage is the gateway's message for a plan needing the missing
// features: a first line, then one line per feature.
func RefusalMessage(missing []string) string {
	var b strings.Builder
	b.WriteString("Query contains 1 or more unsupported features. Upgrade your SDK to a version that does support the requested features:")
	for _, m := range missing {
		b.WriteString("\r\nQuery contained " + m + ", which the calling client does not support.")
	}
	return b.String()
}
