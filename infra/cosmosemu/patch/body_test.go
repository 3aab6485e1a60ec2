package patch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu/patch"
)

// TestParseBodySDK feeds ParseBody exactly what azcosmos v1.5.0 serialises
// for PatchItem (PatchOperations implements json.Marshaler).
func TestParseBodySDK(t *testing.T) {
	var p azcosmos.PatchOperations
	p.SetCondition("from c where c.taskNum = 3 and c.name = 'x'")
	p.AppendAdd("/color", "silver")
	p.AppendSet("/price", 355.45)
	p.AppendSet("/cleared", nil)
	p.AppendReplace("/obj", map[string]any{"a": []int{1, 2}})
	p.AppendRemove("/used")
	p.AppendIncrement("/inventory/quantity", 10)
	p.AppendIncrement("/inventory/zero", 0)
	p.AppendAdd("/tags/-", true)
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(body, []byte(`{"condition":"from c where`)) {
		t.Fatalf("unexpected SDK body shape: %s", body)
	}
	if bytes.Contains(body, []byte(`"path":"/cleared","value"`)) {
		t.Fatalf("expected the SDK to omit a nil value: %s", body)
	}
	ops, cond, err := patch.ParseBody(body)
	if err != nil {
		t.Fatalf("ParseBody(%s): %v", body, err)
	}
	if cond != "from c where c.taskNum = 3 and c.name = 'x'" {
		t.Errorf("condition = %q", cond)
	}
	want := []patch.Operation{
		{Op: "add", Path: "/color", Value: "silver"},
		{Op: "set", Path: "/price", Value: 355.45},
		{Op: "set", Path: "/cleared", Value: nil},
		{Op: "replace", Path: "/obj", Value: map[string]any{"a": []any{1.0, 2.0}}},
		{Op: "remove", Path: "/used"},
		{Op: "incr", Path: "/inventory/quantity", Value: 10.0},
		{Op: "incr", Path: "/inventory/zero", Value: 0.0},
		{Op: "add", Path: "/tags/-", Value: true},
	}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("ops = %#v", ops)
	}

	doc := map[string]any{"id": "1", "used": true, "obj": "o", "cleared": 1.0, "price": 1.0,
		"inventory": map[string]any{"quantity": 15.0}, "tags": []any{}}
	got, err := patch.Apply(doc, ops)
	if err != nil {
		t.Fatal(err)
	}
	wantDoc := map[string]any{"id": "1", "color": "silver", "price": 355.45, "cleared": nil,
		"obj": map[string]any{"a": []any{1.0, 2.0}}, "inventory": map[string]any{"quantity": 25.0, "zero": 0.0},
		"tags": []any{true}}
	if !reflect.DeepEqual(got, wantDoc) {
		t.Errorf("patched = %#v", got)
	}

	// Without a condition the SDK leaves the field out.
	var plain azcosmos.PatchOperations
	plain.AppendRemove("/x")
	body, _ = json.Marshal(plain)
	if string(body) != `{"operations":[{"op":"remove","path":"/x"}]}` {
		t.Fatalf("unexpected SDK body: %s", body)
	}
	if _, cond, err := patch.ParseBody(body); err != nil || cond != "" {
		t.Errorf("ParseBody(%s) = %q, %v", body, cond, err)
	}
}

// TestParseBodySDKLimits shows the SDK does not enforce the operation limit
// or non-emptiness itself, so the server must.
func TestParseBodySDKLimits(t *testing.T) {
	var empty azcosmos.PatchOperations
	body, _ := json.Marshal(empty)
	if _, _, err := patch.ParseBody(body); err == nil {
		t.Errorf("empty patch %s accepted", body)
	}
	var many azcosmos.PatchOperations
	for i := 0; i <= patch.MaxOperations; i++ {
		many.AppendIncrement(fmt.Sprintf("/n%d", i), 1)
	}
	body, _ = json.Marshal(many)
	_, _, err := patch.ParseBody(body)
	var pe *patch.Error
	if !errors.As(err, &pe) || pe.Status != 400 || !strings.Contains(pe.Message, "can't exceed 10") {
		t.Errorf("11 operations: %v", err)
	}
}

// TestParseBodySDKUnescapedCondition records an SDK quirk: the condition is
// written without JSON escaping, so a double quote yields invalid JSON.
// encoding/json then refuses the Marshaler output, so the SDK fails before
// sending; should such bytes arrive anyway, they are a 400 as at the service.
func TestParseBodySDKUnescapedCondition(t *testing.T) {
	var p azcosmos.PatchOperations
	p.SetCondition(`from c where c.name = "x"`)
	p.AppendRemove("/x")
	if _, err := json.Marshal(p); err == nil {
		t.Error("expected encoding/json to reject the SDK's unescaped condition")
	}
	raw, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := patch.ParseBody(raw); err == nil {
		t.Errorf("invalid body %s accepted", raw)
	}
}

func TestParseBody(t *testing.T) {
	ops, cond, err := patch.ParseBody([]byte(`{"condition":"from c where c.a = \"q\"","operations":[{"op":"move","from":"/a","path":"/b"},{"op":"set","path":"/c","value":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cond != `from c where c.a = "q"` {
		t.Errorf("condition = %q", cond)
	}
	want := []patch.Operation{{Op: "move", From: "/a", Path: "/b"}, {Op: "set", Path: "/c"}}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("ops = %#v", ops)
	}
	if _, cond, err := patch.ParseBody([]byte(`{"condition":null,"operations":[{"op":"remove","path":"/a"}],"extra":1}`)); err != nil || cond != "" {
		t.Errorf("null condition: %q, %v", cond, err)
	}
	// The JavaScript SDK sends the operations alone when there is no condition.
	ops, cond, err = patch.ParseBody([]byte(` [{"op":"incr","path":"/n","value":2},{"op":"remove","path":"/a"}]`))
	if err != nil || cond != "" {
		t.Fatalf("bare array: %q, %v", cond, err)
	}
	want = []patch.Operation{{Op: "incr", Path: "/n", Value: 2.0}, {Op: "remove", Path: "/a"}}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("bare array ops = %#v", ops)
	}
}

func TestParseBodyErrors(t *testing.T) {
	for _, tc := range []struct{ body, msg string }{
		{``, "check syntax"},
		{`nope`, "check syntax"},
		{`null`, "check syntax"},
		{`[]`, "check syntax"},
		{`[{"op":"remove"}]`, "'path' is required"},
		{`[{"op":"remove","path":"/a"}] x`, "check syntax"},
		{`{}`, "check syntax"},
		{`{"operations":null}`, "check syntax"},
		{`{"operations":{}}`, "check syntax"},
		{`{"operations":"x"}`, "check syntax"},
		{`{"operations":[]}`, "check syntax"},
		{`{"operations":[null]}`, "For Operation(0)"},
		{`{"operations":[1]}`, "check syntax"},
		{`{"operations":[{"path":"/a"}]}`, "'op' is required"},
		{`{"operations":[{"op":1,"path":"/a"}]}`, "'op' must be a string"},
		{`{"operations":[{"op":null,"path":"/a"}]}`, "'op' must be a string"},
		{`{"operations":[{"op":"remove"}]}`, "'path' is required"},
		{`{"operations":[{"op":"remove","path":7}]}`, "'path' must be a string"},
		{`{"operations":[{"op":"move","path":"/a","from":[]}]}`, "'from' must be a string"},
		{`{"operations":[{"op":"remove","path":"/a"}],"condition":5}`, "condition must be a string"},
		{`{"operations":[{"op":"remove","path":"/a"},{"op":"jump","path":"/a"}]}`, "For Operation(1): Unsupported"},
		{`{"operations":[{"op":"set","path":"/id","value":1}]}`, "system property id"},
		{`{"operations":[{"op":"incr","path":"/n","value":"1"}]}`, "must be a number"},
		{`{"operations":[{"op":"remove","path":"/a"}]} trailing`, "check syntax"},
		{`{"operations":[{"op":"set","path":"/a","value":` + strings.Repeat("[", 129) + strings.Repeat("]", 129) + `}]}`, "a value nests objects and arrays more than 128 levels"},
		{`{"operations":[{"op":"add","path":"/a","value":` + strings.Repeat("[", 1_000_000), "a value nests objects and arrays more than 128 levels"},
		{`{"operations":[{"op":"remove","path":"/a","x":` + strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200) + `}]}`, "more than 128 levels"},
	} {
		ops, _, err := patch.ParseBody([]byte(tc.body))
		var pe *patch.Error
		if !errors.As(err, &pe) {
			t.Errorf("ParseBody(%s) = %v, %v; want *patch.Error", tc.body, ops, err)
			continue
		}
		if pe.Status != 400 || !strings.Contains(pe.Message, tc.msg) {
			t.Errorf("ParseBody(%s): %d %q, want 400 containing %q", tc.body, pe.Status, pe.Message, tc.msg)
		}
	}
}

// FuzzApply parses arbitrary bodies and applies them to arbitrary documents:
// nothing may panic, the input document must be left unchanged, failures must
// be *patch.Error with status 400, and results must encode as JSON.
func FuzzApply(f *testing.F) {
	f.Add([]byte(`{"operations":[{"op":"add","path":"/tags/0","value":"z"}]}`), []byte(`{"tags":["a"]}`))
	f.Add([]byte(`{"operations":[{"op":"move","from":"/a/0","path":"/a/-"},{"op":"incr","path":"/a/0","value":1}]}`), []byte(`{"a":[1,2,3]}`))
	f.Add([]byte(`{"condition":"from c","operations":[{"op":"remove","path":"/x~1y/0"},{"op":"set","path":"/-","value":{}}]}`), []byte(`{"x/y":[null]}`))
	f.Add([]byte(`{"operations":[{"op":"replace","path":"/a/b/c","value":[1,{"d":2}]}]}`), []byte(`{"a":{"b":{"c":0}}}`))
	f.Add([]byte(`{"operations":[{"op":"set","path":"/a/99999999999999999999999","value":1}]}`), []byte(`{"a":[]}`))
	f.Fuzz(func(t *testing.T, body, docJSON []byte) {
		var doc map[string]any
		if json.Unmarshal(docJSON, &doc) != nil {
			doc = map[string]any{"a": []any{1.0, map[string]any{"b": "c"}}, "n": 1.0}
		}
		before, err := json.Marshal(doc)
		if err != nil {
			t.Skip()
		}
		ops, _, err := patch.ParseBody(body)
		if err != nil {
			var pe *patch.Error
			if !errors.As(err, &pe) || pe.Status != 400 {
				t.Fatalf("ParseBody error %v", err)
			}
			return
		}
		got, err := patch.Apply(doc, ops)
		after, _ := json.Marshal(doc)
		if !bytes.Equal(before, after) {
			t.Fatalf("input modified: %s -> %s", before, after)
		}
		if err != nil {
			var pe *patch.Error
			if !errors.As(err, &pe) || pe.Status != 400 {
				t.Fatalf("Apply error %v", err)
			}
			return
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
	})
}
