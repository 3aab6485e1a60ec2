package patch_test

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu/patch"
)

const baseDoc = `{
	"id": "1", "pk": "p", "name": "bike", "price": 455.95,
	"inventory": {"quantity": 15},
	"used": false,
	"tags": ["a", "b", "c"],
	"nested": {"arr": [{"x": 1}, 2]},
	"a/b": 1, "m~n": 2, "nul": null, "s": "str", "big": 1.7976931348623157e308
}`

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return m
}

// merged returns baseDoc with the given top-level properties overridden
// (a nil value in del removes the property).
func merged(t testing.TB, over string, del ...string) map[string]any {
	m := decode(t, baseDoc)
	for k, v := range decode(t, over) {
		m[k] = v
	}
	for _, k := range del {
		delete(m, k)
	}
	return m
}

func ops(t testing.TB, s string) []patch.Operation {
	t.Helper()
	var o []patch.Operation
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatalf("bad ops %s: %v", s, err)
	}
	return o
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  string
		want map[string]any
	}{
		// add
		{"add new property", `[{"op":"add","path":"/color","value":"silver"}]`, merged(t, `{"color":"silver"}`)},
		{"add replaces existing", `[{"op":"add","path":"/name","value":"trike"}]`, merged(t, `{"name":"trike"}`)},
		{"add null via absent value", `[{"op":"add","path":"/n"}]`, merged(t, `{"n":null}`)},
		{"add object value", `[{"op":"add","path":"/o","value":{"k":[1,{"z":true}]}}]`, merged(t, `{"o":{"k":[1,{"z":true}]}}`)},
		{"add inserts at index", `[{"op":"add","path":"/tags/0","value":"z"}]`, merged(t, `{"tags":["z","a","b","c"]}`)},
		{"add inserts in middle", `[{"op":"add","path":"/tags/2","value":"z"}]`, merged(t, `{"tags":["a","b","z","c"]}`)},
		{"add at length appends", `[{"op":"add","path":"/tags/3","value":"z"}]`, merged(t, `{"tags":["a","b","c","z"]}`)},
		{"add dash appends", `[{"op":"add","path":"/tags/-","value":"z"}]`, merged(t, `{"tags":["a","b","c","z"]}`)},
		{"add into array element", `[{"op":"add","path":"/nested/arr/0/y","value":2}]`, merged(t, `{"nested":{"arr":[{"x":1,"y":2},2]}}`)},
		{"add escaped slash", `[{"op":"add","path":"/a~1b","value":9}]`, merged(t, `{"a/b":9}`)},
		{"add escaped tilde", `[{"op":"add","path":"/m~0n","value":9}]`, merged(t, `{"m~n":9}`)},
		{"add new key with tilde escapes", `[{"op":"add","path":"/~01","value":9}]`, merged(t, `{"~1":9}`)},
		{"add empty key", `[{"op":"add","path":"/","value":0}]`, merged(t, `{"":0}`)},
		{"add dash key on object", `[{"op":"add","path":"/inventory/-","value":0}]`, merged(t, `{"inventory":{"quantity":15,"-":0}}`)},
		{"add ttl", `[{"op":"add","path":"/ttl","value":60}]`, merged(t, `{"ttl":60}`)},
		// set
		{"set creates", `[{"op":"set","path":"/color","value":"red"}]`, merged(t, `{"color":"red"}`)},
		{"set replaces", `[{"op":"set","path":"/price","value":355.45}]`, merged(t, `{"price":355.45}`)},
		{"set overwrites array index", `[{"op":"set","path":"/tags/1","value":"z"}]`, merged(t, `{"tags":["a","z","c"]}`)},
		{"set at length appends", `[{"op":"set","path":"/tags/3","value":"z"}]`, merged(t, `{"tags":["a","b","c","z"]}`)},
		{"set dash appends", `[{"op":"set","path":"/tags/-","value":"z"}]`, merged(t, `{"tags":["a","b","c","z"]}`)},
		{"set null", `[{"op":"set","path":"/name","value":null}]`, merged(t, `{"name":null}`)},
		{"set nested", `[{"op":"set","path":"/inventory/quantity","value":1}]`, merged(t, `{"inventory":{"quantity":1}}`)},
		// replace
		{"replace existing", `[{"op":"replace","path":"/name","value":"trike"}]`, merged(t, `{"name":"trike"}`)},
		{"replace null-valued property", `[{"op":"replace","path":"/nul","value":1}]`, merged(t, `{"nul":1}`)},
		{"replace array element", `[{"op":"replace","path":"/tags/2","value":"z"}]`, merged(t, `{"tags":["a","b","z"]}`)},
		{"replace with different type", `[{"op":"replace","path":"/inventory","value":[1]}]`, merged(t, `{"inventory":[1]}`)},
		// remove
		{"remove property", `[{"op":"remove","path":"/used"}]`, merged(t, `{}`, "used")},
		{"remove null-valued property", `[{"op":"remove","path":"/nul"}]`, merged(t, `{}`, "nul")},
		{"remove first element shifts", `[{"op":"remove","path":"/tags/0"}]`, merged(t, `{"tags":["b","c"]}`)},
		{"remove last element", `[{"op":"remove","path":"/tags/2"}]`, merged(t, `{"tags":["a","b"]}`)},
		{"remove nested", `[{"op":"remove","path":"/nested/arr/0/x"}]`, merged(t, `{"nested":{"arr":[{},2]}}`)},
		// incr
		{"incr existing", `[{"op":"incr","path":"/inventory/quantity","value":10}]`, merged(t, `{"inventory":{"quantity":25}}`)},
		{"incr negative", `[{"op":"incr","path":"/inventory/quantity","value":-20}]`, merged(t, `{"inventory":{"quantity":-5}}`)},
		{"incr float", `[{"op":"incr","path":"/price","value":0.05}]`, merged(t, `{"price":456}`)},
		{"incr creates", `[{"op":"incr","path":"/inventory/sold","value":3}]`, merged(t, `{"inventory":{"quantity":15,"sold":3}}`)},
		{"incr array element", `[{"op":"incr","path":"/nested/arr/1","value":5}]`, merged(t, `{"nested":{"arr":[{"x":1},7]}}`)},
		// move
		{"move property", `[{"op":"move","from":"/name","path":"/inventory/name"}]`, merged(t, `{"inventory":{"quantity":15,"name":"bike"}}`, "name")},
		{"move replaces target", `[{"op":"move","from":"/name","path":"/s"}]`, merged(t, `{"s":"bike"}`, "name")},
		{"move to itself", `[{"op":"move","from":"/name","path":"/name"}]`, merged(t, `{}`)},
		{"move array element", `[{"op":"move","from":"/tags/0","path":"/tags/-"}]`, merged(t, `{"tags":["b","c","a"]}`)},
		{"move up out of parent", `[{"op":"move","from":"/inventory/quantity","path":"/inventory"}]`, merged(t, `{"inventory":15}`)},
		// sequences see earlier results
		{"sequence", `[
			{"op":"add","path":"/obj","value":{}},
			{"op":"add","path":"/obj/list","value":[]},
			{"op":"add","path":"/obj/list/-","value":1},
			{"op":"incr","path":"/obj/list/0","value":1},
			{"op":"incr","path":"/obj/count","value":1},
			{"op":"remove","path":"/tags/1"},
			{"op":"replace","path":"/tags/1","value":"C"}
		]`, merged(t, `{"obj":{"list":[2],"count":1},"tags":["a","C"]}`)},
		// the documentation's example (its move needs /color added first)
		{"docs example", `[
			{ "op": "add", "path": "/color", "value": "silver" },
			{ "op": "remove", "path": "/used" },
			{ "op": "set", "path": "/price", "value": 355.45 },
			{ "op": "incr", "path": "/inventory/quantity", "value": 10 },
			{ "op": "add", "path": "/tags/-", "value": "featured-bikes" },
			{ "op": "move", "from": "/color", "path": "/inventory/color" }
		]`, merged(t, `{"price":355.45,"inventory":{"quantity":25,"color":"silver"},"tags":["a","b","c","featured-bikes"]}`, "used")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := decode(t, baseDoc)
			got, err := patch.Apply(doc, ops(t, tc.ops))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tc.want)
				t.Errorf("got  %s\nwant %s", g, w)
			}
			if !reflect.DeepEqual(doc, decode(t, baseDoc)) {
				t.Error("input document was modified")
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = `{"op":"incr","path":"/n","value":1}`
	}
	for _, tc := range []struct {
		name, ops, msg string
	}{
		{"no operations", `[]`, "check syntax"},
		{"too many operations", "[" + strings.Join(eleven, ",") + "]", "can't exceed 10"},
		{"unknown op", `[{"op":"test","path":"/name","value":"bike"}]`, "Unsupported operation"},
		{"copy unsupported", `[{"op":"copy","from":"/name","path":"/n"}]`, "Unsupported operation"},
		{"empty op", `[{"op":"","path":"/name"}]`, "Unsupported operation"},
		{"op is case sensitive", `[{"op":"Set","path":"/name"}]`, "Unsupported operation"},
		{"root path", `[{"op":"set","path":"","value":{}}]`, "must start with '/'"},
		{"relative path", `[{"op":"set","path":"name","value":1}]`, "must start with '/'"},
		{"bad escape", `[{"op":"set","path":"/a~2","value":1}]`, "invalid '~' escape"},
		{"dangling escape", `[{"op":"set","path":"/a~","value":1}]`, "invalid '~' escape"},
		{"from on non-move", `[{"op":"set","from":"/a","path":"/b","value":1}]`, "only valid for move"},
		// system properties
		{"id", `[{"op":"set","path":"/id","value":"2"}]`, "system property id"},
		{"_ts", `[{"op":"incr","path":"/_ts","value":1}]`, "system property _ts"},
		{"_etag", `[{"op":"remove","path":"/_etag"}]`, "system property _etag"},
		{"_rid", `[{"op":"replace","path":"/_rid","value":"x"}]`, "system property _rid"},
		{"_self", `[{"op":"add","path":"/_self","value":"x"}]`, "system property _self"},
		{"inside _attachments", `[{"op":"add","path":"/_attachments/x","value":"x"}]`, "system property _attachments"},
		{"move from _ts", `[{"op":"move","from":"/_ts","path":"/ts"}]`, "system property _ts"},
		{"move onto id", `[{"op":"move","from":"/name","path":"/id"}]`, "system property id"},
		// add / set
		{"add missing parent", `[{"op":"add","path":"/missing/x","value":1}]`, "can't create path recursively"},
		{"add deep missing parent", `[{"op":"add","path":"/inventory/a/b","value":1}]`, "can't create path recursively"},
		{"add under scalar", `[{"op":"add","path":"/s/x","value":1}]`, "can't create path recursively"},
		{"add under null", `[{"op":"add","path":"/nul/x","value":1}]`, "can't create path recursively"},
		{"add index past end", `[{"op":"add","path":"/tags/4","value":"z"}]`, "out of array bounds"},
		{"add huge index", `[{"op":"add","path":"/tags/99999999999999999999","value":"z"}]`, "out of array bounds"},
		{"add non-numeric index", `[{"op":"add","path":"/tags/x","value":"z"}]`, "not a valid array index"},
		{"add leading zero index", `[{"op":"add","path":"/tags/01","value":"z"}]`, "not a valid array index"},
		{"add negative index", `[{"op":"add","path":"/tags/-1","value":"z"}]`, "not a valid array index"},
		{"add through missing array element", `[{"op":"add","path":"/tags/3/x","value":"z"}]`, "can't create path recursively"},
		{"set index past end", `[{"op":"set","path":"/tags/4","value":"z"}]`, "out of array bounds"},
		{"set missing parent", `[{"op":"set","path":"/nonExistentParent/Child","value":"bar"}]`, "can't create path recursively"},
		{"set through dash", `[{"op":"set","path":"/tags/-/x","value":"bar"}]`, "can't create path recursively"},
		// replace
		{"replace absent", `[{"op":"replace","path":"/color","value":"x"}]`, "to be replaced is absent"},
		{"replace absent nested", `[{"op":"replace","path":"/fake/item","value":"x"}]`, "is absent"},
		{"replace index at length", `[{"op":"replace","path":"/tags/3","value":"x"}]`, "out of array bounds"},
		{"replace dash", `[{"op":"replace","path":"/tags/-","value":"x"}]`, "out of array bounds"},
		// remove
		{"remove absent", `[{"op":"remove","path":"/color"}]`, "to be removed is absent"},
		{"remove absent parent", `[{"op":"remove","path":"/a/b/c"}]`, "is absent"},
		{"remove index at length", `[{"op":"remove","path":"/tags/3"}]`, "out of array bounds"},
		{"remove dash", `[{"op":"remove","path":"/tags/-"}]`, "out of array bounds"},
		{"remove twice", `[{"op":"remove","path":"/used"},{"op":"remove","path":"/used"}]`, "For Operation(1)"},
		// incr
		{"incr non-number target", `[{"op":"incr","path":"/name","value":1}]`, "is not a number"},
		{"incr null target", `[{"op":"incr","path":"/nul","value":1}]`, "is not a number"},
		{"incr object target", `[{"op":"incr","path":"/inventory","value":1}]`, "is not a number"},
		{"incr string value", `[{"op":"incr","path":"/price","value":"1"}]`, "must be a number"},
		{"incr missing value", `[{"op":"incr","path":"/price"}]`, "must be a number"},
		{"incr overflow", `[{"op":"incr","path":"/big","value":1.7976931348623157e308}]`, "overflow"},
		{"incr array past end", `[{"op":"incr","path":"/tags/3","value":1}]`, "out of array bounds"},
		{"incr missing parent", `[{"op":"incr","path":"/x/y","value":1}]`, "can't create path recursively"},
		// move
		{"move without from", `[{"op":"move","path":"/x"}]`, "must start with '/'"},
		{"move from absent", `[{"op":"move","from":"/color","path":"/x"}]`, "to be removed is absent"},
		{"move into own child", `[{"op":"move","from":"/inventory","path":"/inventory/q"}]`, "can't be a child"},
		{"move to missing parent", `[{"op":"move","from":"/name","path":"/x/y"}]`, "can't create path recursively"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := decode(t, baseDoc)
			got, err := patch.Apply(doc, ops(t, tc.ops))
			if err == nil {
				g, _ := json.Marshal(got)
				t.Fatalf("Apply succeeded with %s", g)
			}
			var pe *patch.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not *patch.Error", err, err)
			}
			if pe.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", pe.Status)
			}
			if !strings.Contains(pe.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", pe.Message, tc.msg)
			}
			if got != nil {
				t.Error("a document was returned with the error")
			}
			if !reflect.DeepEqual(doc, decode(t, baseDoc)) {
				t.Error("input document was modified by a failed patch")
			}
		})
	}
}

func TestApplyLimitBoundary(t *testing.T) {
	ten := make([]patch.Operation, patch.MaxOperations)
	for i := range ten {
		ten[i] = patch.Operation{Op: patch.OpIncr, Path: "/n", Value: 1.0}
	}
	got, err := patch.Apply(map[string]any{}, ten)
	if err != nil {
		t.Fatal(err)
	}
	if got["n"] != 10.0 {
		t.Errorf("n = %v", got["n"])
	}
}

func TestApplyIsAtomic(t *testing.T) {
	doc := decode(t, baseDoc)
	_, err := patch.Apply(doc, ops(t, `[
		{"op":"set","path":"/name","value":"changed"},
		{"op":"remove","path":"/tags/0"},
		{"op":"replace","path":"/absent","value":1}
	]`))
	if err == nil || !strings.Contains(err.Error(), "For Operation(2)") {
		t.Fatalf("err = %v", err)
	}
	if !reflect.DeepEqual(doc, decode(t, baseDoc)) {
		t.Error("earlier operations leaked into the input document")
	}
}

func TestApplyDoesNotAlias(t *testing.T) {
	val := map[string]any{"k": []any{1.0}}
	doc := map[string]any{"list": []any{"a"}}
	got, err := patch.Apply(doc, []patch.Operation{
		{Op: patch.OpSet, Path: "/v", Value: val},
		{Op: patch.OpAdd, Path: "/list/-", Value: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	val["k"].([]any)[0] = 2.0
	if got["v"].(map[string]any)["k"].([]any)[0] != 1.0 {
		t.Error("result aliases the operation value")
	}
	got["list"].([]any)[0] = "mutated"
	if doc["list"].([]any)[0] != "a" || len(doc["list"].([]any)) != 1 {
		t.Error("result aliases the input document")
	}
}

func TestApplyNormalizesGoValues(t *testing.T) {
	type point struct {
		X int    `json:"x"`
		S string `json:"s"`
	}
	got, err := patch.Apply(nil, []patch.Operation{
		{Op: patch.OpSet, Path: "/i", Value: 3},
		{Op: patch.OpSet, Path: "/l", Value: []string{"a"}},
		{Op: patch.OpSet, Path: "/p", Value: point{X: 1, S: "s"}},
		{Op: patch.OpIncr, Path: "/i", Value: int64(4)},
		{Op: patch.OpIncr, Path: "/n", Value: json.Number("2.5")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"i": 7.0, "l": []any{"a"}, "p": map[string]any{"x": 1.0, "s": "s"}, "n": 2.5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
	if _, err := patch.Apply(nil, []patch.Operation{{Op: patch.OpSet, Path: "/c", Value: make(chan int)}}); err == nil {
		t.Error("unencodable value accepted")
	}
	if _, err := patch.Apply(nil, []patch.Operation{{Op: patch.OpIncr, Path: "/c", Value: math.Inf(1)}}); err == nil {
		t.Error("infinite increment accepted")
	}
}

func TestIncrKeepsIntegers(t *testing.T) {
	got, err := patch.Apply(map[string]any{"n": 1.0}, []patch.Operation{{Op: patch.OpIncr, Path: "/n", Value: 2.0}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `{"n":3}` {
		t.Errorf("got %s", b)
	}
}

func TestAffects(t *testing.T) {
	for _, tc := range []struct {
		ops  string
		path string
		want bool
	}{
		{`[{"op":"set","path":"/pk","value":1}]`, "/pk", true},
		{`[{"op":"set","path":"/pkx","value":1}]`, "/pk", false},
		{`[{"op":"set","path":"/a","value":{}}]`, "/a/b", true},
		{`[{"op":"set","path":"/a/b/c","value":{}}]`, "/a/b", true},
		{`[{"op":"set","path":"/a/c","value":{}}]`, "/a/b", false},
		{`[{"op":"remove","path":"/pk"}]`, "/pk", true},
		{`[{"op":"move","from":"/pk","path":"/x"}]`, "/pk", true},
		{`[{"op":"move","from":"/x","path":"/pk"}]`, "/pk", true},
		{`[{"op":"move","from":"/x","path":"/y"}]`, "/pk", false},
		{`[{"op":"set","path":"/a~1b","value":1}]`, "/a/b", false},
		{`[{"op":"set","path":"/x","value":1},{"op":"incr","path":"/tenant","value":1}]`, "/tenant", true},
	} {
		if got := patch.Affects(ops(t, tc.ops), tc.path); got != tc.want {
			t.Errorf("Affects(%s, %q) = %v", tc.ops, tc.path, got)
		}
	}
}

func TestParsePathAndSystem(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"/a", []string{"a"}},
		{"/a/b", []string{"a", "b"}},
		{"/", []string{""}},
		{"/a//b", []string{"a", "", "b"}},
		{"/~1~0/~01", []string{"/~", "~1"}},
	} {
		got, err := patch.ParsePath(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePath(%q) = %q, %v", tc.in, got, err)
		}
	}
	for _, p := range []string{"/id", "/_ts", "/_etag/x", "/_rid", "/_self", "/_attachments"} {
		if !patch.IsSystemPath(p) {
			t.Errorf("%s not a system path", p)
		}
	}
	for _, p := range []string{"/ttl", "/idx", "/x/id", "/_tsx", "", "id"} {
		if patch.IsSystemPath(p) {
			t.Errorf("%s reported as a system path", p)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &patch.Error{Status: 400, Message: "m"}
	if e.Error() != "400 Bad Request: m" {
		t.Errorf("Error() = %q", e.Error())
	}
}
