package store

import (
	"encoding/json"
	"strings"

	"orderctx/infra/cosmosemu/cosmossql"
	"orderctx/infra/cosmosemu/epk"
	"orderctx/infra/cosmosemu/patch"
)

func epkOf(values []any, version int) (string, error) { return epk.Compute(values, version) }

// applyPatch applies a partial update to an item and returns the new body.
// The id, the partition key and system properties cannot be patched, and a
// patch condition that does not hold answers 412, as in Cosmos DB.
func applyPatch(cur *Doc, raw json.RawMessage, pkPaths [][]string) ([]byte, *Error) {
	ops, condition, err := patch.ParseBody(raw)
	if err != nil {
		return nil, errBadRequest("Invalid patch request: %v", err)
	}
	for _, op := range ops {
		for _, path := range []string{op.Path, op.From} {
			if path == "" {
				continue
			}
			top := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2)[0]
			if top == "id" || strings.HasPrefix(top, "_") && isSystemProp(top) {
				return nil, errBadRequest("Patch cannot change the system property or id at %q.", path)
			}
			for _, pk := range pkPaths {
				if "/"+strings.Join(pk, "/") == path || strings.HasPrefix("/"+strings.Join(pk, "/"), path+"/") {
					return nil, errBadRequest("Patch cannot change the partition key at %q.", path)
				}
			}
		}
	}
	doc, _ := cur.Value().(map[string]any)
	if condition != "" {
		q, err := cosmossql.Parse("SELECT * " + condition)
		if err != nil {
			return nil, errBadRequest("Invalid patch condition: %v", err)
		}
		rows, err := q.Run([]any{doc}, nil)
		if err != nil {
			return nil, errBadRequest("Invalid patch condition: %v", err)
		}
		if len(rows) == 0 {
			return nil, errPrecondition()
		}
	}
	out, err := patch.Apply(doc, ops)
	if err != nil {
		if pe, ok := err.(*patch.Error); ok {
			return nil, &Error{Status: pe.Status, Code: "BadRequest", Message: pe.Message}
		}
		return nil, errBadRequest("%v", err)
	}
	for _, k := range systemProps {
		delete(out, k)
	}
	b, mErr := json.Marshal(out)
	if mErr != nil {
		return nil, errBadRequest("patched item cannot be encoded: %v", mErr)
	}
	return b, nil
}

func isSystemProp(name string) bool {
	for _, k := range systemProps {
		if k == name {
			return true
		}
	}
	return false
}
