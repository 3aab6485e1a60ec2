package main

import (
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		args    []string
		wantErr string
		left    int
	}{
		{name: "plain command", args: []string{"cosmos", "-memory"}, left: 1},
		{name: "subcommand", args: []string{"bench", "cosmos", "-only", "read"}, left: 2},
		{name: "unknown command", args: []string{"nope"}, wantErr: `unknown command "nope"`},
		{name: "missing subcommand", args: []string{"bench"}, wantErr: "usage: orderctx bench <commandapi|cosmos|queryapi>"},
		{name: "unknown subcommand", args: []string{"bench", "nope"}, wantErr: "usage: orderctx bench <commandapi|cosmos|queryapi>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, rest, err := resolve(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || p == nil || len(rest) != tc.left {
				t.Fatalf("resolve(%v) = %v, %v, %v", tc.args, p, rest, err)
			}
			if err := p.ParseFlags(rest); err != nil {
				t.Fatalf("ParseFlags(%v): %v", rest, err)
			}
		})
	}
}
