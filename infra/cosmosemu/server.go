// Package cosmosemu is an embedded server for the subset of the Azure Cosmos DB
// NoSQL REST API that the official Go SDK (azcosmos) and this project use. It
// checks master-key signatures, keeps data in the store package (durable on
// disk or in memory), and can run in-process as an http.Handler or an
// http.Client transport, or listen where the official emulator does.
package cosmosemu

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"orderctx/infra/cosmosemu/store"
)

// EmulatorKey is the well-known master key of the official Cosmos DB Emulator.
const EmulatorKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="

// Limits of one request, as Cosmos DB enforces them.
const (
	maxRequestBytes   = store.MaxItemBytes + 64*1024 // an item plus envelope
	maxBatchOps       = 100
	maxBatchBytes     = 2 * 1024 * 1024
	maxQueryTextBytes = 256 * 1024
	// maxConnections bounds the connections served at once, and so the
	// requests held in memory (each up to maxBatchBytes) and the writes
	// queued for the log; beyond it a connection is answered 503 and closed.
	maxConnections = 4096
)

// Config configures a Server.
type Config struct {
	// Dir is the data directory; empty keeps data in memory only.
	Dir string
	// Key is the base64 master key; empty means EmulatorKey.
	Key string
	// DefaultPartitions is how many physical partitions a new container gets
	// (default 1). A create request can ask for more with the
	// x-ms-emulator-partitions header.
	DefaultPartitions int
	// Log receives request failures and operational messages.
	Log *slog.Logger
	// Consistency is the account's default consistency level as reported to
	// clients (default "Session", as the emulator's); with one replica every
	// level behaves as Strong.
	Consistency string
}

// Server serves the Cosmos DB REST API over a store.Engine.
type Server struct {
	engine      *store.Engine
	key         []byte
	keyText     string // the key in base64, as emulator Entra ID tokens carry it
	log         *slog.Logger
	faults      *Faults
	hmacs       sync.Pool
	activity    atomic.Uint64
	idPrefix    string
	consistency string
	queries     sync.Map // query text -> *cosmossql.Query
	queryCount  atomic.Int64
}

// New opens the store and returns a server ready to serve.
func New(cfg Config) (*Server, error) {
	if cfg.Key == "" {
		cfg.Key = EmulatorKey
	}
	key, err := base64.StdEncoding.DecodeString(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("master key is not base64: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	eng, err := store.Open(store.Options{Dir: cfg.Dir, DefaultPartitions: cfg.DefaultPartitions, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	var prefix [6]byte
	_, _ = rand.Read(prefix[:])
	if cfg.Consistency == "" {
		cfg.Consistency = "Session"
	}
	switch cfg.Consistency {
	case "Strong", "BoundedStaleness", "Session", "ConsistentPrefix", "Eventual":
	default:
		eng.Close()
		return nil, fmt.Errorf("unknown consistency level %q", cfg.Consistency)
	}
	s := &Server{engine: eng, key: key, keyText: cfg.Key, log: cfg.Log, faults: &Faults{}, idPrefix: hex.EncodeToString(prefix[:]), consistency: cfg.Consistency}
	s.hmacs.New = func() any { return hmac.New(sha256.New, s.key) }
	return s, nil
}

// Close flushes and closes the store.
func (s *Server) Close() error { return s.engine.Close() }

// Engine exposes the storage engine (for tests and operational commands).
func (s *Server) Engine() *store.Engine { return s.engine }

// Faults returns the fault-injection rules; none are active by default.
func (s *Server) Faults() *Faults { return s.faults }

// SplitRange splits a live partition key range of a container in two.
func (s *Server) SplitRange(db, container, rangeID string) ([2]string, error) {
	c, err := s.container(db, container)
	if err != nil {
		return [2]string{}, err
	}
	return c.SplitRange(rangeID)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(stdExchange{w, r})
}

// serve answers one request; every failure of a handler comes back here as
// an error and is answered in one place, writeError.
func (s *Server) serve(x exchange) {
	req := &request{x: x, method: x.method(), path: x.escapedPath(), activity: s.nextActivityID()}
	if err := s.handle(req); err != nil {
		s.writeError(req, err)
	}
}

// handle parses the path, applies the fault rules, checks the signature and
// the size, and routes the request to its handler.
func (s *Server) handle(req *request) error {
	if err := req.parsePath(); err != nil {
		return err
	}
	// Control requests are never faulted, so a test can always clear its faults.
	var fault *Fault
	if len(req.segs) == 0 || req.segs[0] != "_emulator" {
		if fault = s.faults.match(req); fault != nil {
			if err := fault.apply(req); err != nil {
				return err
			}
		}
	}
	if err := s.authorize(req); err != nil {
		return err
	}
	if req.x.contentLength() > maxRequestBytes {
		return tooLarge(maxRequestBytes)
	}
	if fault.answerAfter() {
		return s.serveThenFail(req, fault)
	}
	return s.route(req)
}
