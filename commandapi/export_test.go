package commandapi

// ShapePair is a command's hand-written body shape, as plain values, beside a
// zero value of the struct its body is decoded into.
type ShapePair struct {
	// Shape is "string", "integer" or "any", a map of member names to shapes
	// for an object, or a one-element slice holding the element's shape for
	// an array.
	Shape   any
	Request any
}

// RequestShapes returns every command body's shape and request struct, by
// command name, so that a test can hold the two in step.
func RequestShapes() map[string]ShapePair {
	return map[string]ShapePair{
		commandPlaceOrder:  {shapeTree(placeOrderShape), placeOrderRequest{}},
		commandAddItem:     {shapeTree(addItemShape), addItemRequest{}},
		commandPayOrder:    {shapeTree(payOrderShape), payOrderRequest{}},
		commandShipOrder:   {shapeTree(shipOrderShape), shipOrderRequest{}},
		commandCancelOrder: {shapeTree(cancelOrderShape), cancelOrderRequest{}},
	}
}

func shapeTree(s *shape) any {
	switch s.kind {
	case kindString:
		return "string"
	case kindInteger:
		return "integer"
	case kindArray:
		return []any{shapeTree(s.elem)}
	case kindObject:
		m := make(map[string]any, len(s.fields))
		for name, f := range s.fields {
			m[name] = shapeTree(f)
		}
		return m
	default:
		return "any"
	}
}
