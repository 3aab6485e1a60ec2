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
		{name: "verify", args: []string{"verify", "-skip-bus", "-max-diffs", "5"}, left: 3},
		{name: "unknown command", args: []string{"nope"}, wantErr: `unknown command "nope"`},
		{name: "rebuild views", args: []string{"rebuild", "views", "-memory", "-drop-old"}, left: 2},
		{name: "rebuild postgres", args: []string{"rebuild", "postgres", "-dsn", "postgres://127.0.0.1/x"}, left: 2},
		{name: "bench alone is the system bench", args: []string{"bench"}, left: 0},
		{name: "system bench with flags", args: []string{"bench", "-duration", "2s", "-json"}, left: 3},
		{name: "system bench by name", args: []string{"bench", "system", "-clients", "4"}, left: 2},
		{name: "unknown bench", args: []string{"bench", "nope"}, wantErr: "usage: orderctx bench <commandapi|cosmos|queryapi|system>"},
		{name: "missing subcommand", args: []string{"rebuild"}, wantErr: "usage: orderctx rebuild <postgres|views>"},
		{name: "unknown subcommand", args: []string{"rebuild", "nope"}, wantErr: "usage: orderctx rebuild <postgres|views>"},
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
