package readmodel_test

import (
	"testing"
	"time"

	"orderctx/queryapi/internal/viewtest"
	"orderctx/queryapi/readmodel"
)

var t0 = viewtest.T0

// spec is the indexed part of a test view.
type spec struct {
	id, status, buyer, currency string
	total                       int64
	placed                      time.Time
	version                     int64
}

func (s spec) doc() []byte {
	return viewtest.Spec{ID: s.id, Status: s.status, Buyer: s.buyer, Currency: s.currency, Total: s.total, Placed: s.placed, Version: s.version}.Doc()
}

func (s spec) view(t testing.TB) *readmodel.View {
	t.Helper()
	v, err := readmodel.ParseView(s.doc())
	if err != nil {
		t.Fatalf("parse %s: %v", s.id, err)
	}
	return v
}

func apply(t testing.TB, m *readmodel.Model, specs ...spec) []*readmodel.View {
	t.Helper()
	views := make([]*readmodel.View, len(specs))
	for i, s := range specs {
		views[i] = s.view(t)
	}
	applied, err := m.Apply(views)
	if err != nil {
		t.Fatal(err)
	}
	return applied
}

func ids(views []*readmodel.View) []string {
	out := make([]string, len(views))
	for i, v := range views {
		out[i] = v.ID
	}
	return out
}

// newModel returns a model past its initial load, so every change updates
// the indexes at once.
func newModel(opts readmodel.Options) *readmodel.Model {
	m := readmodel.New(opts)
	m.BuildIndexes()
	return m
}
