package queryapi_test

import (
	"testing"

	"orderctx/queryapi"
)

func TestStats(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{}, catalogue...)
	f.views.Push(spec("a", "paid", "b-1", 500, 1, 2).Doc()) // a moves from submitted to paid
	waitFor(t, "a paid", func() bool { return get(t, f.url+"/orders/a?minVersion=2").status == 200 })
	r := get(t, f.url+"/orders/stats")
	want := `{"orders":7,"byStatus":{` +
		`"cancelled":{"orders":1,"byCurrency":{"EUR":{"orders":1,"total":200}}},` +
		`"paid":{"orders":4,"byCurrency":{"EUR":{"orders":3,"total":2900},"USD":{"orders":1,"total":700}}},` +
		`"shipped":{"orders":1,"byCurrency":{"EUR":{"orders":1,"total":1500}}},` +
		`"submitted":{"orders":1,"byCurrency":{"EUR":{"orders":1,"total":0}}}}}` + "\n"
	if r.status != 200 || string(r.body) != want {
		t.Fatalf("%d %s\nwant %s", r.status, r.body, want)
	}
	wantProblem(t, get(t, f.url+"/orders/stats?status=paid"), 400, queryapi.RuleUnknownParameter, "status")
}

func TestStatsOfAnEmptyModelListsEveryStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queryapi.Deps{}, queryapi.Options{})
	r := get(t, f.url+"/orders/stats")
	want := `{"orders":0,"byStatus":{"cancelled":{"orders":0,"byCurrency":{}},"paid":{"orders":0,"byCurrency":{}},` +
		`"shipped":{"orders":0,"byCurrency":{}},"submitted":{"orders":0,"byCurrency":{}}}}` + "\n"
	if string(r.body) != want {
		t.Fatalf("%s", r.body)
	}
}
