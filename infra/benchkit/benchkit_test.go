package benchkit_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"orderctx/infra/benchkit"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name               string
		lat                []time.Duration
		p50, p99, max, avg time.Duration
	}{
		{name: "none"},
		{name: "one", lat: []time.Duration{5}, p50: 5, p99: 5, max: 5, avg: 5},
		{name: "unsorted 1..100", lat: shuffled(100), p50: 50, p99: 99, max: 100, avg: 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := benchkit.Summarize(tc.lat)
			if s.Count != len(tc.lat) || s.P50 != tc.p50 || s.P99 != tc.p99 || s.Max != tc.max || s.Mean != tc.avg {
				t.Fatalf("Summarize = %+v", s)
			}
		})
	}
}

// shuffled is 1..n in a scrambled order.
func shuffled(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration((i*37)%n + 1)
	}
	return out
}

// TestListeningPIDs finds this process behind a port it listens on, and
// reads its CPU from /proc.
func TestListeningPIDs(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	got, err := benchkit.ListeningPIDs([]int{port, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got[port] != os.Getpid() {
		t.Fatalf("ListeningPIDs = %v, want port %d → %d", got, port, os.Getpid())
	}
	spin := time.Now()
	for time.Since(spin) < 50*time.Millisecond {
	}
	cpu, err := benchkit.ProcessCPU(os.Getpid())
	if err != nil || cpu <= 0 || benchkit.SelfCPU() <= 0 {
		t.Fatalf("ProcessCPU = %v, %v; SelfCPU = %v", cpu, err, benchkit.SelfCPU())
	}
	if name := benchkit.ProcessName(os.Getpid()); !strings.HasPrefix(name, "benchkit.test") {
		t.Errorf("ProcessName = %q", name)
	}
	if _, err := benchkit.ProcessCPU(-1); err == nil {
		t.Fatal("ProcessCPU(-1) did not fail")
	}
}

// TestWriteChart checks that the SVG is well-formed, escapes titles, and
// breaks a line where a value is missing.
func TestWriteChart(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	err := benchkit.WriteChart(&buf, "a <b> & c", "seconds", []benchkit.Panel{
		{Title: "rate", Unit: "per second", Series: []benchkit.Series{{Name: "x", Values: []float64{1, 2, math.NaN(), 4, 5}}}},
		{Title: "empty", Unit: "ms"},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines, texts := 0, ""
	dec := xml.NewDecoder(&buf)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "polyline" {
				lines++
			}
		case xml.CharData:
			texts += string(el)
		}
	}
	if lines != 2 || !strings.Contains(texts, "a <b> & c") {
		t.Fatalf("%d lines (want 2: the NaN splits the series), texts %q", lines, texts)
	}
}

func TestPlainProgress(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := benchkit.NewPlainProgress(&buf, time.Second)
	t0 := time.Now()
	p.Update(t0, 0.25, "first")
	p.Update(t0.Add(500*time.Millisecond), 0.5, "too soon")
	p.Update(t0.Add(time.Second), 2, "last")
	p.Done()
	if got := buf.String(); got != " 25% first\n100% last\n" {
		t.Fatalf("progress wrote %q", got)
	}
}
