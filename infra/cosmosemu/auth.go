package cosmosemu

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
	"time"

	"orderctx/infra/cosmosemu/store"
)

// authorize checks the master-key signature the SDKs compute over
// verb, resource type, resource link and x-ms-date, or a Microsoft Entra ID
// token the way the emulator does (aad.go).
func (s *Server) authorize(req *request) error {
	unauthorized := func(msg string) *store.Error {
		return &store.Error{Status: 401, Code: "Unauthorized", Message: msg}
	}
	h := req.header("Authorization")
	if h == "" {
		return unauthorized("Required Header authorization is missing. Ensure a valid Authorization token is passed.")
	}
	var tokenBuf [256]byte
	token, ok := queryUnescape(tokenBuf[:0], h)
	if !ok {
		return unauthorized("The authorization token is not URL encoded.")
	}
	typ, sig := tokenField(token, "type"), tokenField(token, "sig")
	switch string(typ) {
	case "master":
	case "aad":
		if err := s.authorizeAAD(sig, time.Now()); err != nil {
			return err
		}
		return nil
	default:
		return unauthorized("Only master-key (type=master) and Microsoft Entra ID (type=aad) authorization are supported by this server.")
	}
	date := req.header("x-ms-date")
	if date == "" {
		date = req.header("Date")
	}
	mac := s.hmacs.Get().(hash.Hash)
	defer s.hmacs.Put(mac)
	mac.Reset()
	var buf [512]byte
	b := appendLower(buf[:0], req.method)
	b = append(b, '\n')
	b = appendLower(b, req.resType)
	b = append(b, '\n')
	b = append(b, req.resLink...)
	b = append(b, '\n')
	b = appendLower(b, date)
	b = append(b, "\n\n"...)
	mac.Write(b)
	var sum [32]byte
	var wantBuf [64]byte
	want := base64.StdEncoding.AppendEncode(wantBuf[:0], mac.Sum(sum[:0]))
	if !hmac.Equal(want, sig) {
		return unauthorized(fmt.Sprintf("The input authorization token can't serve the request. The wrong key is being used or the expected payload is not built as per the protocol. Server used the following payload to sign: '%s'", strings.ReplaceAll(string(b), "\n", `\n`)))
	}
	return nil
}

// queryUnescape percent-decodes s (query escaping: '+' is a space) into dst.
func queryUnescape(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) {
				return nil, false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return nil, false
			}
			dst = append(dst, hi<<4|lo)
			i += 2
		case '+':
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// tokenField returns the value of name in "k=v&k=v" without allocating.
func tokenField(token []byte, name string) []byte {
	for len(token) > 0 {
		part := token
		if i := bytes.IndexByte(token, '&'); i >= 0 {
			part, token = token[:i], token[i+1:]
		} else {
			token = nil
		}
		if len(part) > len(name) && part[len(name)] == '=' && string(part[:len(name)]) == name {
			return part[len(name)+1:]
		}
	}
	return nil
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
