package cosmosemu

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// Microsoft Entra ID (type=aad) authorization, as the official emulator
// accepts it. The emulator cannot verify tokens that Microsoft Entra ID
// signs, so it accepts tokens that the SDKs' emulator tests mint
// themselves: a JWT "signed" with the account key, whose third part is the
// base64url encoding of the key's base64 text (header kid and x5t
// "CosmosEmulatorPrimaryMaster"). This server checks the same: the token
// has three base64url parts, the header and the claims are JSON objects,
// the signature part is the account key, and the token is within its
// validity (nbf and exp, with aadClockSkew of tolerance). A token that
// Microsoft Entra ID issued is refused with 401, as the emulator refuses it.

// aadClockSkew is how far nbf may lie ahead, and exp behind, of this
// server's clock.
const aadClockSkew = 5 * time.Minute

// aadClaims are the claims of an emulator token that the server checks.
type aadClaims struct {
	NotBefore *float64 `json:"nbf"`
	Expires   *float64 `json:"exp"`
}

// authorizeAAD checks the JWT of a type=aad authorization.
func (s *Server) authorizeAAD(token []byte, now time.Time) *store.Error {
	unauthorized := func(msg string) *store.Error {
		return &store.Error{Status: 401, Code: "Unauthorized", Message: "The Microsoft Entra ID token is not valid: " + msg}
	}
	parts := bytes.Split(token, []byte("."))
	if len(parts) != 3 {
		return unauthorized("a JWT has three dot-separated parts.")
	}
	var header map[string]any
	if b, err := decodeJWTPart(parts[0]); err != nil || json.Unmarshal(b, &header) != nil || header == nil {
		return unauthorized("the header is not base64url-encoded JSON.")
	}
	var claims aadClaims
	if b, err := decodeJWTPart(parts[1]); err != nil || json.Unmarshal(b, &claims) != nil {
		return unauthorized("the claims are not base64url-encoded JSON.")
	}
	sig, err := decodeJWTPart(parts[2])
	if err != nil || subtle.ConstantTimeCompare(sig, []byte(s.keyText)) != 1 {
		return unauthorized("its signature is not this account's key (this server, like the emulator, accepts only tokens signed with the account key).")
	}
	if claims.Expires == nil || time.Unix(int64(*claims.Expires), 0).Add(aadClockSkew).Before(now) {
		return unauthorized("it has expired (or has no exp claim).")
	}
	if claims.NotBefore != nil && time.Unix(int64(*claims.NotBefore), 0).Add(-aadClockSkew).After(now) {
		return unauthorized("it is not valid yet (nbf).")
	}
	return nil
}

// decodeJWTPart decodes base64url with or without padding.
func decodeJWTPart(p []byte) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(string(bytes.TrimRight(p, "=")))
}
