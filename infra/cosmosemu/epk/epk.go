// Package epk computes Cosmos DB effective partition keys (EPKs) and works
// with the hex EPK space that partition key ranges are cut from.
//
// The emulator places every document in the partition key range whose
// [minInclusive, maxExclusive) interval contains the document's EPK. The Go
// SDK (azcosmos v1.5.0) computes the same EPK on the client to route
// ReadManyItems queries to a partition key range id, so the hashing here must
// agree bit for bit with the SDK; it is checked against the SDK's baseline
// vectors and against the SDK itself in the tests.
package epk

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Undefined is the partition key component of a document that lacks the
// partition key property. Cosmos hashes it with its own type marker, so it
// must stay distinct from JSON null.
type Undefined struct{}

// Type markers written in front of each component before hashing. They are
// part of the wire-compatible hash input and must not change.
const (
	markerUndefined byte = 0x00
	markerNull      byte = 0x01
	markerFalse     byte = 0x02
	markerTrue      byte = 0x03
	markerNumber    byte = 0x05
	markerString    byte = 0x08
)

// String terminators: hash version 1 ends a string with 0x00, version 2
// with 0xFF.
const (
	stringEndV1 byte = 0x00
	stringEndV2 byte = 0xFF
)

// dotnetNaNBits is the NaN bit pattern .NET produces. The service and the
// baseline vectors hash NaN with it, while Go's math.NaN uses another
// pattern, so NaN is canonicalised before hashing.
const dotnetNaNBits = 0xFFF8000000000000

// v1Prefix pads a 32-bit version 1 hash to the 128-bit width that the SDK
// renders (24 zero hex digits followed by 8 hash digits).
const v1Prefix = "000000000000000000000000"

// Compute returns the hex EPK of a partition key made of the given component
// values, as the Go SDK computes it for routing.
//
// Components are decoded JSON values: string, float64, bool, nil, or
// Undefined{}; other Go integer and float types and json.Number are accepted
// and hashed as float64 because Cosmos numbers are IEEE doubles. An empty
// slice means the undefined key (no partition key value at all), which the
// SDK hashes as a single Undefined component and treats as a point key.
//
// version selects the container's partition key hash version: 1 (also used
// when a container definition has no version, reported as 0) or 2. With
// version 2 each component is hashed separately and the 32-digit results are
// concatenated, which is the MultiHash (hierarchical key) layout; for a single
// component it is identical to the plain Hash layout. Each version 2
// component has the top two bits of its first byte cleared so that every EPK
// sorts below the "FF" maximum.
//
// Version 1 follows the SDK's v1.5.0 layout: per component, 24 zero digits and
// the 8-digit MurmurHash3-32 of the component. That matches the SDK's
// routing, which is what the emulator has to agree with.
func Compute(values []any, version int) (string, error) {
	if len(values) == 0 {
		values = []any{Undefined{}}
	}
	var sb strings.Builder
	switch version {
	case 0, 1:
		sb.Grow(32 * len(values))
		for i, v := range values {
			b, err := encode(nil, v, stringEndV1)
			if err != nil {
				return "", fmt.Errorf("epk: component %d: %w", i, err)
			}
			sb.WriteString(v1Prefix)
			fmt.Fprintf(&sb, "%08X", murmur3x86_32(b, 0))
		}
	case 2:
		sb.Grow(32 * len(values))
		for i, v := range values {
			b, err := encode(nil, v, stringEndV2)
			if err != nil {
				return "", fmt.Errorf("epk: component %d: %w", i, err)
			}
			h1, h2 := murmur3x64_128(b, 0)
			// Clearing the top two bits keeps every component in [00, 40),
			// leaving room for the "FF" sentinel above all real keys.
			fmt.Fprintf(&sb, "%016X%016X", h2&0x3FFFFFFFFFFFFFFF, h1)
		}
	default:
		return "", fmt.Errorf("epk: unsupported partition key version %d", version)
	}
	return sb.String(), nil
}

// PrefixRange returns the EPK range holding every key that starts with the
// given components. A MultiHash (hierarchical) container accepts a key with
// fewer components than paths and then addresses all logical partitions under
// that prefix: [EPK(prefix), EPK(prefix)+"FF"). Full components start with a
// digit below 4 after masking, so "FF" bounds every extension.
func PrefixRange(values []any, version int) (Range, error) {
	if len(values) == 0 {
		return Range{}, errors.New("epk: prefix needs at least one component")
	}
	if version != 2 {
		// Only version 2 lays components out independently, so only it
		// can address a prefix.
		return Range{}, fmt.Errorf("epk: prefix keys need hash version 2, got %d", version)
	}
	p, err := Compute(values, version)
	if err != nil {
		return Range{}, err
	}
	return Range{Min: p, Max: p + Max}, nil
}

// encode appends the hash input for one component: a type marker followed by
// the value's bytes (little-endian IEEE bits for numbers, raw bytes plus a
// version-specific terminator for strings).
func encode(dst []byte, v any, stringEnd byte) ([]byte, error) {
	switch x := v.(type) {
	case Undefined:
		return append(dst, markerUndefined), nil
	case *Undefined:
		return append(dst, markerUndefined), nil
	case nil:
		return append(dst, markerNull), nil
	case bool:
		if x {
			return append(dst, markerTrue), nil
		}
		return append(dst, markerFalse), nil
	case string:
		dst = append(dst, markerString)
		dst = append(dst, x...)
		return append(dst, stringEnd), nil
	}
	f, ok, err := toFloat(v)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("unsupported partition key value of type %T", v)
	}
	bits := math.Float64bits(f)
	if math.IsNaN(f) {
		bits = dotnetNaNBits
	}
	dst = append(dst, markerNumber)
	return binary.LittleEndian.AppendUint64(dst, bits), nil
}

// toFloat converts the numeric kinds a caller may hold to the double Cosmos
// stores. ok is false for non-numeric values.
func toFloat(v any) (f float64, ok bool, err error) {
	switch x := v.(type) {
	case float64:
		return x, true, nil
	case float32:
		return float64(x), true, nil
	case int:
		return float64(x), true, nil
	case int8:
		return float64(x), true, nil
	case int16:
		return float64(x), true, nil
	case int32:
		return float64(x), true, nil
	case int64:
		return float64(x), true, nil
	case uint:
		return float64(x), true, nil
	case uint8:
		return float64(x), true, nil
	case uint16:
		return float64(x), true, nil
	case uint32:
		return float64(x), true, nil
	case uint64:
		return float64(x), true, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0, false, fmt.Errorf("invalid number %q", string(x))
		}
		return f, true, nil
	}
	return 0, false, nil
}
