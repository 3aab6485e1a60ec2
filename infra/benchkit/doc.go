// Package benchkit holds what the load benchmarks share (orderctx bench
// cosmos, commandapi, queryapi and the system bench): CPU time read from
// /proc for a server in another process and from getrusage for the load
// generator itself, the processes listening on given ports, latency
// summaries, the machine's description, a progress line for a terminal, and
// line charts written as SVG. It depends on the standard library and
// golang.org/x/sys only.
package benchkit
