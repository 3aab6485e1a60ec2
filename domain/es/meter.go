package es

import (
	"context"
	"sync"
)

// Meter adds up what one unit of work (a command, say) cost the store: the
// requests sent to it and their request charge (Cosmos DB request units).
// Stores report every request they send, failed ones included, to the meter
// carried by the call's context (MeterFrom), so the caller learns the true
// cost without every port returning it. A nil *Meter ignores reports. It is
// safe for concurrent use.
type Meter struct {
	mu       sync.Mutex
	requests int
	charge   float64
}

// Add records one request and its charge.
func (m *Meter) Add(charge float64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.requests++
	m.charge += charge
	m.mu.Unlock()
}

// Requests returns the number of requests recorded.
func (m *Meter) Requests() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

// Charge returns the sum of the recorded charges.
func (m *Meter) Charge() float64 {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.charge
}

type meterKey struct{}

// WithMeter returns a context whose store calls report to m.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// MeterFrom returns the meter of ctx, or nil (which ignores reports).
func MeterFrom(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}
