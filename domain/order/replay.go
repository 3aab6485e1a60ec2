package order

import "orderctx/domain/es"

// Replay applies committed events that follow the ones already loaded, so a
// consumer that follows a stream (such as the integration publisher) keeps an
// order current without reloading its whole history for every event. The
// checks are those of Load: events of another stream, version gaps and
// payloads that cannot apply are refused with an Internal error (rule
// es.RuleCorruptHistory or RuleCorruptHistory). On error the order is unusable; load it again.
func (o *Order) Replay(events ...es.Envelope) error {
	return o.root.LoadFromHistory(events)
}
