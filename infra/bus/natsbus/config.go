package natsbus

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"orderctx/functions/publisher/contracts"
)

// Defaults of Config.
const (
	DefaultListen = "127.0.0.1:4222"
	DefaultStream = "ORDERS"
	// DefaultDuplicateWindow bounds how late a re-delivered event may be
	// published again and still be dropped as a duplicate. Re-deliveries come
	// minutes after a crash (a lease expires in 60 s), but hours after an
	// outage of the store or a host stopped overnight; 24 h covers those at a
	// memory cost of one entry (~150 bytes) per message of the last 24 h.
	DefaultDuplicateWindow = 24 * time.Hour
	// DefaultMaxAge keeps messages a week. It must be at least the duplicate
	// window: after a restart JetStream rebuilds the window from the stored
	// messages, so an id whose message expired is forgotten.
	DefaultMaxAge     = 7 * 24 * time.Hour
	DefaultAckTimeout = 10 * time.Second
	// DefaultMaxPending bounds the asynchronous publishes in flight per
	// connection; a batch beyond it waits for acks before sending more.
	DefaultMaxPending = 4096
)

// DefaultSubjects are the stream's subjects: every v1 contract.
var DefaultSubjects = []string{"orders.v1.>"}

// Config configures a Bus. Zero fields take the defaults above.
type Config struct {
	// URL of an external NATS server (NATS_URL). Empty starts the embedded
	// server; the fields marked "embedded" apply only to it.
	URL string
	// Listen is where the embedded server accepts clients, host:port; port 0
	// picks a free port (tests).
	Listen string
	// DataDir holds the embedded server's JetStream storage; required unless
	// Memory.
	DataDir string
	// Memory keeps the stream in memory (embedded; nothing survives a
	// restart, and de-duplication forgets everything with it).
	Memory bool
	// SyncAlways makes the embedded server fsync each message before its ack.
	SyncAlways bool

	// Stream and Subjects name the JetStream stream; every contract name must
	// match a subject.
	Stream   string
	Subjects []string
	// DuplicateWindow is the stream's de-duplication window; MaxAge how long
	// it keeps messages (at least DuplicateWindow).
	DuplicateWindow time.Duration
	MaxAge          time.Duration
	// Replicas of the stream on an external cluster (default 1).
	Replicas int

	// AckTimeout bounds the wait for each publish ack.
	AckTimeout time.Duration
	// MaxPending bounds asynchronous publishes in flight.
	MaxPending int
	// Logger receives the embedded server's log; nil discards it.
	Logger *slog.Logger
}

// FromEnv returns the configuration the environment asks for: NATS_URL.
func FromEnv(getenv func(string) string) Config {
	return Config{URL: strings.TrimSpace(getenv("NATS_URL"))}
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if len(c.Subjects) == 0 {
		c.Subjects = DefaultSubjects
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.MaxAge == 0 {
		c.MaxAge = max(DefaultMaxAge, c.DuplicateWindow)
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	return c
}

// Validate reports every problem of the configuration (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("natsbus: "+format, args...)) }
	if c.URL == "" {
		if c.DataDir == "" && !c.Memory {
			add("DataDir is required for the embedded server (or Memory)")
		}
		if _, err := listenPort(c.Listen); err != nil {
			add("Listen %q: %v", c.Listen, err)
		}
	}
	if c.Stream == "" || strings.ContainsAny(c.Stream, ". *>\t") {
		add("Stream %q: a stream name has no spaces, dots or wildcards", c.Stream)
	}
	for _, name := range contracts.Names() {
		if !matchesAny(c.Subjects, name) {
			add("Subjects %v do not capture contract %s", c.Subjects, name)
		}
	}
	if c.DuplicateWindow < 100*time.Millisecond {
		add("DuplicateWindow %v: JetStream needs at least 100ms", c.DuplicateWindow)
	}
	if c.MaxAge < c.DuplicateWindow {
		add("MaxAge %v is shorter than DuplicateWindow %v: a restart would forget ids of expired messages", c.MaxAge, c.DuplicateWindow)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		add("Replicas %d: want 1 to 5", c.Replicas)
	}
	if c.AckTimeout < 0 || c.MaxPending < 0 {
		add("AckTimeout %v and MaxPending %d must not be negative", c.AckTimeout, c.MaxPending)
	}
	return errors.Join(errs...)
}

// listenPort returns the port of host:port, -1 (nats-server's "random") for 0.
func listenPort(hostport string) (int, error) {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return 0, fmt.Errorf("port %q is not 0..65535", p)
	}
	if port == 0 {
		return -1, nil
	}
	return port, nil
}

// matchesAny reports whether a subject matches one of the filters ("*" is
// one token, ">" the rest).
func matchesAny(filters []string, subject string) bool {
	for _, f := range filters {
		if matches(strings.Split(f, "."), strings.Split(subject, ".")) {
			return true
		}
	}
	return false
}

func matches(filter, subject []string) bool {
	for i, tok := range filter {
		switch {
		case tok == ">":
			return i < len(subject)
		case i >= len(subject):
			return false
		case tok != "*" && tok != subject[i]:
			return false
		}
	}
	return len(filter) == len(subject)
}
