package es_test

import (
	"testing"
	"time"

	"orderctx/domain/es"
)

func TestFixedClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var c es.Clock = es.NewFixedClock(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	fc := c.(*es.FixedClock)
	if got := fc.Advance(time.Minute); !got.Equal(start.Add(time.Minute)) || !c.Now().Equal(got) {
		t.Fatalf("Advance = %v, Now = %v", got, c.Now())
	}
	fc.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("after Set: Now = %v", c.Now())
	}
}

func TestSystemClockIsUTC(t *testing.T) {
	t.Parallel()
	if loc := (es.SystemClock{}).Now().Location(); loc != time.UTC {
		t.Fatalf("location = %v, want UTC", loc)
	}
}
