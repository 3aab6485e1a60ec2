package cosmosemu_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"orderctx/infra/cosmosemu"
	"orderctx/infra/cosmosemu/store"
)

// TestErrorMapping: a handler's failure is answered from the *store.Error in
// its chain, however wrapped; any other error is a logged 500 that shows
// nothing of its cause.
func TestErrorMapping(t *testing.T) {
	t.Parallel()
	gone := &store.Error{Status: 410, SubStatus: 1002, Code: "Gone", Message: "range 0 is gone"}
	cases := []struct {
		name      string
		err       error
		status    int
		substatus string
		code      string
		logged    bool
	}{
		{"store error", gone, 410, "1002", "Gone", false},
		{"wrapped store error", fmt.Errorf("read feed: %w", gone), 410, "1002", "Gone", false},
		{"joined store error", errors.Join(errors.New("context"), &store.Error{Status: 409, Code: "Conflict", Message: "exists"}), 409, "", "Conflict", false},
		{"other error", errors.New("disk on fire"), 500, "", "InternalServerError", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			srv, err := cosmosemu.New(cosmosemu.Config{Log: slog.New(slog.NewTextHandler(&log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = srv.Close() })
			rec := httptest.NewRecorder()
			srv.WriteError(rec, httptest.NewRequest("GET", "/dbs/db", nil), tc.err)
			if rec.Code != tc.status || rec.Header().Get("x-ms-substatus") != tc.substatus {
				t.Fatalf("status %d substatus %q, want %d %q", rec.Code, rec.Header().Get("x-ms-substatus"), tc.status, tc.substatus)
			}
			var body map[string]any
			if err := jsonDecode(rec.Body, &body); err != nil || body["code"] != tc.code {
				t.Fatalf("body %v (%v), want code %s", body, err, tc.code)
			}
			if tc.logged != strings.Contains(log.String(), "disk on fire") {
				t.Errorf("logged %v, want %v: %q", !tc.logged, tc.logged, log.String())
			}
			if strings.Contains(fmt.Sprint(body["message"]), "disk on fire") {
				t.Errorf("the answer shows the internal cause: %v", body["message"])
			}
		})
	}
}
