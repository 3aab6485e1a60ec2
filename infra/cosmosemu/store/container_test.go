package store

import (
	"encoding/json"
	"testing"
)

func TestPartitionKeyStringMatchesJSON(t *testing.T) {
	t.Parallel()
	for _, v := range [][]any{{"plain"}, {"with \"quote\""}, {"<tag>&"}, {"é"}, {"tab\t"}, {1.5}, {nil}, {"a", "b"}, {true}} {
		want, _ := json.Marshal(v)
		if got := PartitionKeyString(v); got != string(want) {
			t.Errorf("PartitionKeyString(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestMakeETagFormat(t *testing.T) {
	t.Parallel()
	if got, want := makeETag(4, 0x1a, 0xbeef), `"0000001a-0400-0000-0000-00000000beef"`; got != want {
		t.Fatalf("makeETag = %s, want %s", got, want)
	}
}
