package readmodel_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"orderctx/queryapi/readmodel"
)

func TestParseViewStripsSystemPropertiesOnly(t *testing.T) {
	t.Parallel()
	s := spec{id: "o-1", status: "paid", buyer: "b-1", currency: "EUR", total: 1234, placed: t0, version: 4}
	v := s.view(t)
	if v.ID != "o-1" || v.Status != "paid" || v.BuyerID != "b-1" || v.Currency != "EUR" || v.Total != 1234 ||
		!v.PlacedAt.Equal(t0) || v.Version != 4 || v.ETag != `"4"` {
		t.Fatalf("parsed %+v", v)
	}
	var got, stored map[string]any
	if err := json.Unmarshal(v.Doc, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(s.doc(), &stored); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"_rid", "_self", "_etag", "_attachments", "_ts", "_lsn"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s kept", k)
		}
		delete(stored, k)
	}
	gotJSON, _ := json.Marshal(got)
	storedJSON, _ := json.Marshal(stored)
	if !bytes.Equal(gotJSON, storedJSON) {
		t.Fatalf("document changed beyond the system properties:\n got %s\nwant %s", gotJSON, storedJSON)
	}
	if !bytes.HasPrefix(v.Doc, []byte(`{"id":"o-1","orderId":"o-1","status":"paid"`)) {
		t.Fatalf("member order changed: %s", v.Doc)
	}
}

func TestParseViewCompactsMultiLineDocuments(t *testing.T) {
	t.Parallel()
	v, err := readmodel.ParseView([]byte("{\n  \"id\": \"o-1\",\n  \"status\": \"paid\",\n  \"note\": \"a b\",\n  \"version\": 2,\n  \"_ts\": 5\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"o-1","status":"paid","note":"a b","version":2}`; string(v.Doc) != want {
		t.Fatalf("doc %s, want %s", v.Doc, want)
	}
}

func TestParseViewRefusesWhatItCannotIndex(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"not JSON":           `{"id":"o-1"`,
		"no id":              `{"status":"paid","version":1}`,
		"no status":          `{"id":"o-1","version":1}`,
		"no version":         `{"id":"o-1","status":"paid"}`,
		"zero version":       `{"id":"o-1","status":"paid","version":0}`,
		"version as text":    `{"id":"o-1","status":"paid","version":"1"}`,
		"fractional total":   `{"id":"o-1","status":"paid","version":1,"total":1.5}`,
		"id not a string":    `{"id":7,"status":"paid","version":1}`,
		"placedAt malformed": `{"id":"o-1","status":"paid","version":1,"placedAt":"yesterday"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readmodel.ParseView([]byte(doc))
			if !errors.Is(err, readmodel.ErrInvalidView) {
				t.Fatalf("ParseView(%s) = %v, want ErrInvalidView", doc, err)
			}
		})
	}
}

func TestParseViewAcceptsNullOptionalMembers(t *testing.T) {
	t.Parallel()
	v, err := readmodel.ParseView([]byte(`{"id":"o-1","status":"submitted","buyerId":null,"currency":null,"total":null,"placedAt":null,"version":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if v.BuyerID != "" || v.Total != 0 || !v.PlacedAt.IsZero() || !strings.Contains(string(v.Doc), `"buyerId":null`) {
		t.Fatalf("parsed %+v", v)
	}
}

// TestParseOwnedViewMatchesParseView: parsing in the document's own memory
// gives the same view, whatever the spacing and the position of the system
// properties.
func TestParseOwnedViewMatchesParseView(t *testing.T) {
	t.Parallel()
	docs := []string{
		string(spec{id: "o-1", status: "paid", buyer: "b", currency: "EUR", total: 5, placed: t0, version: 2}.doc()),
		`{"_rid":"x","id":"o-2","_ts":1,"status":"paid","version":3,"items":[{"a":"_ts"}],"_etag":"\"e\""}`,
		`{ "id" : "o-3" , "status":"submitted",  "note":"x y", "version" : 1 }`,
	}
	for _, d := range docs {
		want, err := readmodel.ParseView([]byte(d))
		if err != nil {
			t.Fatal(err)
		}
		owned := []byte(d)
		got, err := readmodel.ParseOwnedView(owned)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Doc) != string(want.Doc) || got.ID != want.ID || got.Version != want.Version || got.Status != want.Status {
			t.Fatalf("owned %s (%+v)\nwant %s", got.Doc, got, want.Doc)
		}
		if &got.Doc[0] != &owned[0] {
			t.Fatal("ParseOwnedView copied the document")
		}
	}
}
