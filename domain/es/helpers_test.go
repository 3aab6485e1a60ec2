package es_test

import "orderctx/domain/es"

// Test payloads: a counter aggregate with two event types.

type incremented struct {
	By int `json:"by"`
}

func (incremented) EventType() string { return "test.incremented" }

type renamed struct {
	Name string `json:"name"`
}

func (renamed) EventType() string { return "test.renamed" }

type unregistered struct{}

func (unregistered) EventType() string { return "test.unregistered" }

// counter is a minimal aggregate built on es.Base.
type counter struct {
	root  es.Base
	Total int    `json:"total"`
	Name  string `json:"name"`
}

func newCounter(streamID string) *counter {
	c := &counter{}
	c.root = es.NewBase(streamID, c.apply)
	return c
}

func (c *counter) apply(p es.Payload) error {
	switch e := p.(type) {
	case incremented:
		c.Total += e.By
	case renamed:
		c.Name = e.Name
	default:
		return es.Errorf(es.Internal, es.RuleCorruptHistory, "cannot apply %s", p.EventType())
	}
	return nil
}

func envelopes(streamID string, from int64, payloads ...es.Payload) []es.Envelope {
	out := make([]es.Envelope, len(payloads))
	for i, p := range payloads {
		out[i] = es.Envelope{
			Type:     p.EventType(),
			Payload:  p,
			Metadata: es.Metadata{StreamID: streamID, Version: from + int64(i)},
		}
	}
	return out
}
