package queryapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/commandapi"
	"orderctx/domain/es"
	"orderctx/domain/order"
	"orderctx/infra/cosmosdb"
	"orderctx/infra/feedreader"
	"orderctx/queryapi"
)

// system is the whole product on one embedded store, in process: the
// command API, a projector (testProjector, standing in for the real one)
// and query API instances.
type system struct {
	conn     *cosmosdb.Conn
	commands string // base URL of the command API
	reg      *es.Registry
}

func newSystem(t testing.TB, partitions int) *system {
	t.Helper()
	conn, err := cosmosdb.Open(context.Background(), cosmosdb.Config{Memory: true, Partitions: partitions}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	cmd, err := commandapi.NewOnConn(conn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cmd.Handler())
	t.Cleanup(srv.Close)
	reg := es.NewRegistry()
	if err := order.RegisterEvents(reg); err != nil {
		t.Fatal(err)
	}
	return &system{conn: conn, commands: srv.URL, reg: reg}
}

// queryInstance is one running query API on the system's store.
type queryInstance struct {
	api  *queryapi.API
	url  string
	stop func()
}

func (s *system) startQuery(t testing.TB, fold queryapi.Fold) *queryInstance {
	t.Helper()
	api, err := queryapi.NewOnConn(s.conn, fold, slog.New(slog.DiscardHandler), queryapi.Options{PollInterval: time.Millisecond, AuditPollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); api.Follow(ctx) }()
	srv := httptest.NewServer(api.Handler())
	q := &queryInstance{api: api, url: srv.URL}
	var once sync.Once
	q.stop = func() { once.Do(func() { srv.Close(); cancel(); <-done }) }
	t.Cleanup(q.stop)
	waitReady(t, api)
	return q
}

// command sends one command and returns the version it produced.
func (s *system) command(t testing.TB, method, path, body string, headers ...string) int64 {
	t.Helper()
	req, _ := http.NewRequest(method, s.commands+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var out commandapi.CommandResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.Version
}

func placeBody(id, buyer string) string {
	return fmt.Sprintf(`{"orderId":%q,"buyerId":%q,"currency":"EUR",
		"shippingAddress":{"street":"1 Main St","city":"Oslo","postalCode":"0150","country":"NO"},
		"items":[{"productId":"p-1","name":"Coffee","quantity":2,"unitPrice":450,"discount":100}]}`, id, buyer)
}

// testView is the projector's view document, for the test fold.
type testView struct {
	ID               string        `json:"id"`
	OrderID          string        `json:"orderId"`
	Status           string        `json:"status"`
	BuyerID          string        `json:"buyerId"`
	Currency         string        `json:"currency"`
	ShippingAddress  order.Address `json:"shippingAddress"`
	Items            []testLine    `json:"items"`
	Total            int64         `json:"total"`
	RefundDue        *int64        `json:"refundDue"`
	PaymentReference *string       `json:"paymentReference"`
	Carrier          *string       `json:"carrier"`
	TrackingNumber   *string       `json:"trackingNumber"`
	CancelReason     *string       `json:"cancelReason"`
	PlacedAt         time.Time     `json:"placedAt"`
	UpdatedAt        time.Time     `json:"updatedAt"`
	Version          int64         `json:"version"`
}

type testLine struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
	Discount  int64  `json:"discount"`
	LineTotal int64  `json:"lineTotal"`
}

// testFold is a fold from order events to the view, standing in for the
// projector's (domain/orderview) in these tests.
func testFold(view json.RawMessage, events []es.Envelope) (json.RawMessage, error) {
	var v testView
	if len(view) > 0 {
		if err := json.Unmarshal(view, &v); err != nil {
			return nil, err
		}
	}
	for _, e := range events {
		switch p := e.Payload.(type) {
		case order.OrderPlaced:
			v = testView{ID: p.OrderID, OrderID: p.OrderID, Status: string(order.StatusSubmitted), BuyerID: p.BuyerID,
				Currency: p.Currency, ShippingAddress: p.ShippingAddress, Items: []testLine{}, PlacedAt: p.PlacedAt}
			for _, it := range p.Items {
				v.add(it.ProductID, it.Name, it.Quantity, it.UnitPrice.Amount, it.Discount.Amount)
			}
		case order.ItemAdded:
			v.add(p.ProductID, p.Name, p.Quantity, p.UnitPrice.Amount, p.Discount.Amount)
		case order.OrderPaid:
			v.Status, v.PaymentReference = string(order.StatusPaid), &p.PaymentReference
		case order.OrderShipped:
			v.Status, v.Carrier, v.TrackingNumber = string(order.StatusShipped), &p.Carrier, &p.TrackingNumber
		case order.OrderCancelled:
			v.Status, v.CancelReason = string(order.StatusCancelled), &p.Reason
		default:
			return nil, fmt.Errorf("test fold: %s not handled", e.Type)
		}
		v.Version, v.UpdatedAt = e.Version, e.OccurredAt
	}
	v.Total = 0
	for _, l := range v.Items {
		v.Total += l.LineTotal
	}
	return json.Marshal(v)
}

func (v *testView) add(productID, name string, qty int, unitPrice, discount int64) {
	for i := range v.Items {
		if v.Items[i].ProductID == productID {
			v.Items[i].Quantity += qty
			v.Items[i].Discount += discount
			v.Items[i].LineTotal = int64(v.Items[i].Quantity)*unitPrice - v.Items[i].Discount
			return
		}
	}
	v.Items = append(v.Items, testLine{ProductID: productID, Name: name, Quantity: qty, UnitPrice: unitPrice, Discount: discount, LineTotal: int64(qty)*unitPrice - discount})
}

// startProjector runs a projector that follows the events feed and writes
// one view per order with testFold, as the real projector does; stop ends it.
func (s *system) startProjector(t testing.TB) (stop func()) {
	t.Helper()
	feed := feedreader.New(s.conn, cosmosdb.Events, 0)
	views := s.conn.Container(cosmosdb.Views)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			docs, caughtUp, err := feed.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("projector: %v", err)
				}
				return
			}
			for _, d := range docs {
				if err := s.project(ctx, views, d); err != nil && ctx.Err() == nil {
					t.Errorf("projector: %v", err)
					return
				}
			}
			if caughtUp {
				select {
				case <-time.After(time.Millisecond):
				case <-ctx.Done():
				}
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// project folds one stored event into its order's view.
func (s *system) project(ctx context.Context, views *azcosmos.ContainerClient, doc []byte) error {
	var stored es.EncodedEvent
	if err := json.Unmarshal(doc, &stored); err != nil {
		return err
	}
	env, err := s.reg.DecodeEvent(stored)
	if err != nil {
		return err
	}
	id := strings.TrimPrefix(stored.StreamID, order.StreamPrefix)
	pk := azcosmos.NewPartitionKeyString(id)
	var current json.RawMessage
	var version int64
	if resp, err := views.ReadItem(ctx, pk, id, nil); err == nil {
		current = resp.Value
		var v testView
		_ = json.Unmarshal(current, &v)
		version = v.Version
	} else if cosmosdb.StatusCode(err) != http.StatusNotFound {
		return err
	}
	if env.Version <= version {
		return nil
	}
	if env.Version != version+1 {
		return fmt.Errorf("order %s: event %d after view %d", id, env.Version, version)
	}
	next, err := testFold(current, []es.Envelope{env})
	if err != nil {
		return err
	}
	_, err = views.UpsertItem(ctx, pk, next, nil)
	return err
}

// upsertView writes a view document as the projector would.
func (s *system) upsertView(t testing.TB, id string, doc []byte) {
	t.Helper()
	if _, err := s.conn.Container(cosmosdb.Views).UpsertItem(context.Background(), azcosmos.NewPartitionKeyString(id), doc, nil); err != nil {
		t.Fatal(err)
	}
}
