package systembench_test

import (
	"strings"
	"testing"

	"orderctx/infra/benchkit/systembench"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	good := func() systembench.Config {
		return systembench.Config{CommandURL: "http://127.0.0.1:8080", QueryURL: "http://127.0.0.1:8090", Clients: 16, ReadShare: 0.5, ConflictShare: 0.04, InvalidShare: 0.02}
	}
	cases := []struct {
		name   string
		change func(*systembench.Config)
		want   []string // substrings of the error; none: valid
	}{
		{name: "defaults", change: func(*systembench.Config) {}},
		{name: "no scheme", change: func(c *systembench.Config) { c.CommandURL = "127.0.0.1:8080" }, want: []string{"command URL"}},
		{name: "every problem at once", change: func(c *systembench.Config) {
			c.QueryURL, c.Clients, c.ReadShare, c.Count = "ftp://x", 0, 1.5, -1
		}, want: []string{"query URL", "clients 0", "read share 1.5", "must not be negative"}},
		{name: "too many refusals", change: func(c *systembench.Config) { c.ConflictShare, c.InvalidShare = 0.4, 0.2 }, want: []string{"above 0.5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := good()
			tc.change(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}
