package check

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"orderctx/functions/projector"
	"orderctx/functions/publisher"
	"orderctx/functions/snapshotter"
)

// readLetters reads every parked event before the events, so the checks
// know where each consumer stopped applying a stream.
func (c *checker) readLetters(ctx context.Context) (int, error) {
	n, err := readAll(ctx, c.src.Letters, "letters", c.opts.Progress, c.addLetter)
	if err != nil {
		return n, err
	}
	slices.SortFunc(c.letters, func(a, b Letter) int {
		return cmp.Or(cmp.Compare(a.Consumer, b.Consumer), cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Version, b.Version), cmp.Compare(a.ID, b.ID))
	})
	c.report.Counts.Letters = n
	c.report.ParkedCount = len(c.letters)
	c.report.Parked = c.letters[:min(len(c.letters), c.report.maxDiffs)]
	return n, nil
}

func (c *checker) addLetter(raw []byte) {
	var doc struct {
		ID        string    `json:"id"`
		Consumer  string    `json:"consumer"`
		StreamID  string    `json:"streamId"`
		Version   int64     `json:"version"`
		EventType string    `json:"eventType"`
		Reason    string    `json:"reason"`
		Behind    int64     `json:"behind"`
		ParkedAt  time.Time `json:"parkedAt"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		c.letters = append(c.letters, Letter{Reason: "the letter does not decode: " + err.Error()})
		return
	}
	c.letters = append(c.letters, Letter{Consumer: doc.Consumer, ID: doc.ID, Stream: doc.StreamID, Version: doc.Version,
		EventType: doc.EventType, Reason: doc.Reason, Behind: doc.Behind, ParkedAt: doc.ParkedAt})
	if doc.StreamID == "" {
		return // an undecodable document: it blocks nothing
	}
	// A letter at version 0 parks the whole stream (its version was unreadable).
	v := max(doc.Version, 1)
	cut := c.cuts[doc.StreamID]
	switch doc.Consumer {
	case projector.Name:
		cut.projector = lowest(cut.projector, v)
	case publisher.Name:
		cut.publisher = lowest(cut.publisher, v)
	case snapshotter.Name:
		cut.snapshotter = lowest(cut.snapshotter, v)
	}
	c.cuts[doc.StreamID] = cut
}

// lowest is the lower of a cut and v, a cut of 0 being none.
func lowest(cut, v int64) int64 {
	if cut == 0 {
		return v
	}
	return min(cut, v)
}
