// Package httpapi holds what the project's HTTP APIs (commandapi, queryapi)
// share, so that both answer alike: RFC 9457 problem documents and their
// writer, the one middleware that gives every request an id, recovers panics,
// turns errors into problems and logs a line, and a server that shuts down
// gracefully and answers even net/http's own refusals with problems.
//
// What differs between the APIs stays with them: their error codes and
// rules, the table from code to status, the fields of their log lines.
package httpapi
