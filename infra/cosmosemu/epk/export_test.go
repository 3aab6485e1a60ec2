package epk

import "fmt"

// RawV2 exposes the unmasked version 2 hash (per component, concatenated) so
// the external tests can compare all 128 bits with the baseline vectors,
// which record hashes before routing masks the top two bits.
func RawV2(values []any) (string, error) {
	out := ""
	for _, v := range values {
		b, err := encode(nil, v, stringEndV2)
		if err != nil {
			return "", err
		}
		h1, h2 := murmur3x64_128(b, 0)
		out += fmt.Sprintf("%016X%016X", h2, h1)
	}
	return out, nil
}
