package commandapi_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"orderctx/commandapi"
)

// TestShapesMatchRequests holds each command's hand-written body shape in
// step with the struct its body is decoded into: a member the struct has and
// the shape lacks would be refused as unknown, one the shape has and the
// struct lacks would be accepted and dropped.
func TestShapesMatchRequests(t *testing.T) {
	t.Parallel()
	pairs := commandapi.RequestShapes()
	if len(pairs) != 5 { // every command but remove_item, which has no body
		t.Fatalf("%d command bodies, want 5", len(pairs))
	}
	for name, p := range pairs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diffs := treeDiff("", p.Shape, jsonTree(reflect.TypeOf(p.Request))); len(diffs) > 0 {
				t.Errorf("shape and %T differ:\n%s", p.Request, strings.Join(diffs, "\n"))
			}
		})
	}
}

// TestTreeDiff shows that the comparison above reports what differs.
func TestTreeDiff(t *testing.T) {
	t.Parallel()
	type item struct {
		Name     string `json:"name"`
		Quantity *int64 `json:"quantity,omitempty"`
		Internal string `json:"-"`
	}
	type body struct {
		ID    string `json:"id"`
		Items []item `json:"items"`
	}
	shape := map[string]any{"id": "integer", "extra": "string", "items": []any{map[string]any{"name": "string"}}}
	got := treeDiff("", shape, jsonTree(reflect.TypeFor[body]()))
	want := []string{
		"extra: in the shape, not in the struct",
		"id: shape integer, struct string",
		"items[].quantity: in the struct, not in the shape",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("diff = %q\nwant   %q", got, want)
	}
}

// jsonTree describes the JSON a Go type decodes from, in the terms of
// commandapi.ShapePair.Shape.
func jsonTree(t reflect.Type) any {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonTree(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Slice:
		return []any{jsonTree(t.Elem())}
	case reflect.Struct:
		m := make(map[string]any, t.NumField())
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-" || !f.IsExported():
				continue
			case name == "":
				name = f.Name
			}
			m[name] = jsonTree(f.Type)
		}
		return m
	}
	return "unsupported " + t.String()
}

// treeDiff lists where two trees differ, by path, sorted.
func treeDiff(path string, shape, want any) []string {
	sm, sok := shape.(map[string]any)
	wm, wok := want.(map[string]any)
	if sok && wok {
		var out []string
		for name, s := range sm {
			w, ok := wm[name]
			if !ok {
				out = append(out, join(path, name)+": in the shape, not in the struct")
				continue
			}
			out = append(out, treeDiff(join(path, name), s, w)...)
		}
		for name := range wm {
			if _, ok := sm[name]; !ok {
				out = append(out, join(path, name)+": in the struct, not in the shape")
			}
		}
		slices.Sort(out)
		return out
	}
	sa, sok := shape.([]any)
	wa, wok := want.([]any)
	if sok && wok {
		return treeDiff(path+"[]", sa[0], wa[0])
	}
	if fmt.Sprint(shape) != fmt.Sprint(want) {
		return []string{fmt.Sprintf("%s: shape %v, struct %v", path, describe(shape), describe(want))}
	}
	return nil
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprint(v)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
