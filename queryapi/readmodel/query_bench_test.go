package readmodel_test

import (
	"fmt"
	"testing"
	"time"

	"orderctx/queryapi/readmodel"
)

// BenchmarkQueryBuyer lists a page of 20 orders of a buyer with 10,000
// orders (the shape of `orderctx bench`, whose 8 buyers place every order):
// by placed date the walk stops after the page, by total it sorts them all.
func BenchmarkQueryBuyer(b *testing.B) {
	m := newModel(readmodel.Options{})
	specs := make([]spec, 10000)
	for i := range specs {
		specs[i] = spec{id: fmt.Sprintf("o-%05d", i), status: readmodel.Statuses[i%4], buyer: "b-1", currency: "EUR",
			total: int64(i * 7 % 1000), placed: t0.Add(time.Duration(i) * time.Second), version: 1}
	}
	apply(b, m, specs...)
	for _, bc := range []struct {
		name string
		q    readmodel.Query
	}{
		{"placed", readmodel.Query{BuyerID: "b-1", Limit: 20}},
		{"placed desc", readmodel.Query{BuyerID: "b-1", Desc: true, Limit: 20}},
		{"total", readmodel.Query{BuyerID: "b-1", Sort: readmodel.SortTotal, Limit: 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if views, more := m.Query(bc.q); len(views) != 20 || !more {
					b.Fatalf("%d views, more %v", len(views), more)
				}
			}
		})
	}
}
