package cosmosemu_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"orderctx/infra/cosmosemu"
)

// Control signs its requests as the SDKs do: a rule it adds is taken, a
// wrong key is refused, and the rule is counted once it fires.
func TestControlAddsRulesSignedWithTheKey(t *testing.T) {
	t.Parallel()
	srv, err := cosmosemu.New(cosmosemu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	endpoint := hs.URL + "/"

	rule := []byte(`{"method":"GET","pathContains":"/dbs","status":503,"count":1}`)
	if _, status, err := cosmosemu.Control(endpoint, cosmosemu.EmulatorKey, http.MethodPost, "faults", rule); err != nil || status != http.StatusNoContent {
		t.Fatalf("add a rule: %d %v", status, err)
	}
	wrongKey := "AAAA" + cosmosemu.EmulatorKey[4:]
	if _, status, _ := cosmosemu.Control(endpoint, wrongKey, http.MethodPost, "faults", rule); status != http.StatusUnauthorized {
		t.Fatalf("a rule signed with another key: %d, want 401", status)
	}
	resp, err := http.Get(hs.URL + "/dbs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	answer, status, err := cosmosemu.Control(endpoint, cosmosemu.EmulatorKey, http.MethodGet, "faults", nil)
	var got struct{ Injected int }
	if err != nil || status != http.StatusOK || json.Unmarshal(answer, &got) != nil || got.Injected != 1 {
		t.Fatalf("after a matching request: %d %s %v, want 1 injected", status, answer, err)
	}
}
