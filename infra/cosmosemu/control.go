package cosmosemu

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Control sends a request to the embedded store's control endpoint
// /_emulator/<action> at endpoint, signed with key as the SDKs sign
// (admin.go), and returns the answer's body and status.
func Control(endpoint, key, method, action string, body []byte) ([]byte, int, error) {
	req, err := http.NewRequest(method, endpoint+"_emulator/"+action, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("x-ms-date", date)
	req.Header.Set("Authorization", MasterKeySignature(key, method, "_emulator", "_emulator/"+action, date))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return answer, resp.StatusCode, err
}

// MasterKeySignature is the Authorization header of a request signed with
// a master key, as the SDKs compute it.
func MasterKeySignature(key, method, resourceType, resourceLink, date string) string {
	k, _ := base64.StdEncoding.DecodeString(key)
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(strings.ToLower(method) + "\n" + strings.ToLower(resourceType) + "\n" + resourceLink + "\n" + strings.ToLower(date) + "\n\n"))
	return url.QueryEscape("type=master&ver=1.0&sig=" + base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}
