package cosmosemu_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu"
)

// sign computes the master-key Authorization header the SDKs send.
func sign(key, method, path, date string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	typ, link := "", ""
	if path != "" {
		if len(segs)%2 == 1 {
			typ, link = segs[len(segs)-1], strings.Join(segs[:len(segs)-1], "/")
		} else {
			typ, link = segs[len(segs)-2], strings.Join(segs, "/")
		}
	}
	k, _ := base64.StdEncoding.DecodeString(key)
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(strings.ToLower(method) + "\n" + strings.ToLower(typ) + "\n" + link + "\n" + strings.ToLower(date) + "\n\n"))
	return url.QueryEscape("type=master&ver=1.0&sig=" + base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// rawResp sends a signed request straight to the handler.
func rawResp(t *testing.T, srv *cosmosemu.Server, method, path string, headers map[string]string, body []byte) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, signed(method, path, headers, body))
	return rec.Result()
}

func rawDo(t *testing.T, srv *cosmosemu.Server, method, path string, headers map[string]string, body []byte) int {
	t.Helper()
	return rawResp(t, srv, method, path, headers, body).StatusCode
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
