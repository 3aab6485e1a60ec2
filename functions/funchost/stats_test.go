package funchost_test

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"

	"orderctx/functions/consumers"
	"orderctx/functions/funchost"
)

// TestStatsEndpoint: a funchost process started with -stats-addr serves GET
// /debug/stats, where every hosted function shows the leases it holds and
// the documents it processed once a round of commands has gone through, and
// the in-process consumers' work shows as store requests and request charge.
func TestStatsEndpoint(t *testing.T) {
	r := newRig(t, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r.start("-stats-addr", addr)
	r.round("stats", 1)
	r.verify(nil)
	var doc funchost.StatsDocument
	r.await("the statistics to show every function's work", func() bool {
		resp, err := http.Get("http://" + addr + "/debug/stats")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		doc = funchost.StatsDocument{}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&doc) != nil {
			return false
		}
		for _, fn := range []string{consumers.ProjectOrders, consumers.PublishIntegrationEvents, consumers.SnapshotOrders} {
			f := doc.Functions[fn]
			if f.Held == 0 || f.Held != f.Leases || f.Processed == 0 {
				return false
			}
		}
		p := doc.Functions[consumers.ProjectOrders]
		return p.StoreRequests > 0 && p.RequestCharge > 0
	})
}
