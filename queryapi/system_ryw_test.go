package queryapi_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
)

// TestReadYourWrites: a command, then at once a read with the version the
// command returned, never sees an older view; over many commands from
// concurrent clients, with the projector running as it would.
func TestReadYourWrites(t *testing.T) {
	t.Parallel()
	sys := newSystem(t, 2)
	sys.startProjector(t)
	q := sys.startQuery(t, nil)
	const clients, orders = 4, 12
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < orders; i++ {
				id := fmt.Sprintf("ryw-%d-%d", c, i)
				steps := []struct {
					method, path, body string
					check              func(v testView) bool
				}{
					{"POST", "/orders", placeBody(id, "b-"+strconv.Itoa(c)), func(v testView) bool { return v.Status == "submitted" && len(v.Items) == 1 }},
					{"POST", "/orders/" + id + "/items", `{"productId":"p-2","name":"Tea","quantity":1,"unitPrice":300}`, func(v testView) bool { return len(v.Items) == 2 }},
					{"POST", "/orders/" + id + "/pay", `{"paymentReference":"psp-1","amount":1100}`, func(v testView) bool { return v.Status == "paid" }},
					{"POST", "/orders/" + id + "/ship", `{"carrier":"DHL","trackingNumber":"T1"}`, func(v testView) bool { return v.Status == "shipped" && v.Carrier != nil }},
				}
				for _, s := range steps {
					version := sys.command(t, s.method, s.path, s.body)
					r := get(t, q.url+"/orders/"+id+"?minVersion="+strconv.FormatInt(version, 10))
					var v testView
					if r.status != 200 {
						t.Errorf("%s after %s %s: %d %s", id, s.method, s.path, r.status, r.body)
						return
					}
					r.json(t, &v)
					if v.Version < version || !s.check(v) || r.header.Get("ETag") != strconv.Quote(strconv.FormatInt(v.Version, 10)) {
						t.Errorf("%s after %s %s (version %d): read %s", id, s.method, s.path, version, r.body)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
