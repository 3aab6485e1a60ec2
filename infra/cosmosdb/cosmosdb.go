// Package cosmosdb connects the components to Cosmos DB: a real account or
// emulator (key or Microsoft Entra ID), or, with no endpoint configured, the
// embedded Cosmos DB-compatible server in-process. It also creates the
// database and the containers the product needs, with their partition keys.
package cosmosdb

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

// Container names and their partition key paths (see ARCHITECTURE.md).
const (
	Events      = "events"
	Snapshots   = "snapshots"
	Views       = "views"
	Leases      = "leases"
	DeadLetters = "deadletters"
)

// partitionKeys maps every container the product uses to its partition key path.
var partitionKeys = map[string]string{
	Events:      "/streamId",
	Snapshots:   "/streamId",
	Views:       "/id",
	Leases:      "/id",
	DeadLetters: "/consumer",
}

// Config says where the store is.
type Config struct {
	// Endpoint is the account endpoint (COSMOS_ENDPOINT). Empty: the embedded server.
	Endpoint string
	// Key is the account key (COSMOS_KEY). Empty with an Endpoint: Microsoft
	// Entra ID through azidentity's DefaultAzureCredential (managed identity,
	// workload identity, Azure CLI...).
	Key string
	// EmulatorToken, with an Endpoint, authenticates with Microsoft Entra ID
	// tokens minted as the Cosmos DB Emulator accepts them, signed with Key
	// (default: the emulator key), instead of the key itself: the keyless
	// code path, run against the emulator or `orderctx cosmos`
	// (COSMOS_CREDENTIAL=emulator).
	EmulatorToken bool
	// ManagedIdentity, with an Endpoint and no Key, uses the managed identity
	// alone instead of the DefaultAzureCredential chain (the Functions
	// setting <connection>__credential=managedidentity).
	ManagedIdentity bool
	// ManagedIdentityClientID picks a user-assigned managed identity
	// (<connection>__clientId) and implies ManagedIdentity; empty: the
	// system-assigned one.
	ManagedIdentityClientID string
	// Database is the database name (COSMOS_DATABASE, default "orderctx").
	Database string
	// DataDir holds the embedded store's data (default ".orderctx"); ignored
	// with an Endpoint.
	DataDir string
	// Memory keeps the embedded store in memory only.
	Memory bool
	// SkipCreate leaves database and containers alone, for accounts whose
	// infrastructure as code owns them (COSMOS_SKIP_CREATE=true).
	SkipCreate bool
	// InsecureTLS skips certificate checks, for the emulator's self-signed
	// certificate (COSMOS_INSECURE_TLS=true; on by default for localhost:8081).
	InsecureTLS bool
	// EmulatorAddr, with the embedded store, also serves it over HTTPS at this
	// address (e.g. "127.0.0.1:8081") for outside tools.
	EmulatorAddr string
	// Partitions is the number of physical partitions the embedded store gives
	// new containers (default 1).
	Partitions int
}

// ConfigFromEnv reads the standard environment variables.
func ConfigFromEnv() Config {
	cfg := Config{
		Endpoint:    os.Getenv("COSMOS_ENDPOINT"),
		Key:         os.Getenv("COSMOS_KEY"),
		Database:    os.Getenv("COSMOS_DATABASE"),
		DataDir:     os.Getenv("ORDERCTX_DATA"),
		SkipCreate:  os.Getenv("COSMOS_SKIP_CREATE") == "true",
		InsecureTLS: os.Getenv("COSMOS_INSECURE_TLS") == "true",
		// The only value: there is no other credential to choose by name.
		EmulatorToken: os.Getenv("COSMOS_CREDENTIAL") == "emulator",
	}
	return cfg
}

// RegisterFlags binds the store settings to flags, with cfg's current values
// (usually from ConfigFromEnv) as defaults. The account key has no flag on
// purpose: a key on the command line is visible to every user of the machine
// (ps, shell history); it comes from COSMOS_KEY or, when absent, Microsoft
// Entra ID.
func (cfg *Config) RegisterFlags(fs *flag.FlagSet) {
	cfg.defaults()
	fs.StringVar(&cfg.Endpoint, "cosmos-endpoint", cfg.Endpoint, "Cosmos DB account endpoint (COSMOS_ENDPOINT); empty runs the embedded store in-process")
	fs.StringVar(&cfg.Database, "cosmos-database", cfg.Database, "database name (COSMOS_DATABASE)")
	fs.BoolVar(&cfg.SkipCreate, "cosmos-skip-create", cfg.SkipCreate, "do not create the database and containers (COSMOS_SKIP_CREATE=true)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory of the embedded store (ORDERCTX_DATA)")
	fs.BoolVar(&cfg.Memory, "memory", cfg.Memory, "keep the embedded store in memory only (nothing survives a restart)")
}

// Describe says where the store is, for a start-up log line.
func (cfg Config) Describe() string {
	switch {
	case cfg.Endpoint != "":
		return cfg.Endpoint
	case cfg.Memory:
		return "embedded store in memory"
	}
	return "embedded store in " + cfg.DataDir
}

func (cfg *Config) defaults() {
	if cfg.Database == "" {
		cfg.Database = "orderctx"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = ".orderctx"
	}
	if strings.Contains(cfg.Endpoint, "localhost:8081") || strings.Contains(cfg.Endpoint, "127.0.0.1:8081") {
		cfg.InsecureTLS = true
	}
}

// embeddedStores numbers the embedded stores of the process: azcosmos caches
// container properties and partition key ranges per endpoint process-wide,
// keyed by container name, so two stores behind one endpoint name (parallel
// tests) would be routed with each other's partition key ranges.
var embeddedStores atomic.Int64

// Conn is an open connection: an SDK client and, for the embedded store, the server.
type Conn struct {
	Client   *azcosmos.Client
	Database string
	embedded *cosmosemu.Server
	stop     context.CancelFunc
	served   chan error
	emulator string
	// connect makes a new client of a remote store (nil: embedded).
	connect func() error
}

// EmulatorEndpoint is the HTTPS endpoint the embedded store also serves, or "".
func (c *Conn) EmulatorEndpoint() string { return c.emulator }

// Open connects and, unless cfg.SkipCreate, creates what is missing.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Conn, error) {
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn := &Conn{Database: cfg.Database}
	opts := &azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry:            policy.RetryOptions{MaxRetries: 5, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 2 * time.Second},
		PerRetryPolicies: []policy.Policy{meterPolicy{}},
	}}
	var err error
	switch {
	case cfg.Endpoint == "":
		dir := filepath.Join(cfg.DataDir, "cosmos")
		if cfg.Memory {
			dir = ""
		}
		if conn.embedded, err = cosmosemu.New(cosmosemu.Config{Dir: dir, DefaultPartitions: cfg.Partitions, Log: log}); err != nil {
			return nil, fmt.Errorf("start embedded store: %w", err)
		}
		opts.Transport = conn.embedded.Client()
		cred, _ := azcosmos.NewKeyCredential(cosmosemu.EmulatorKey)
		endpoint := fmt.Sprintf("http://embedded-%d.cosmos.local/", embeddedStores.Add(1))
		conn.Client, err = azcosmos.NewClientWithKey(endpoint, cred, opts)
		if err == nil && cfg.EmulatorAddr != "" {
			err = conn.serveEmulator(cfg.EmulatorAddr, dir, log)
		}
	default:
		conn.connect = func() (err error) {
			conn.Client, err = remoteClient(cfg, opts)
			return err
		}
		err = conn.connect()
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect to Cosmos DB: %w", err)
	}
	if !cfg.SkipCreate {
		if err := conn.createResourcesPatiently(ctx, log); StatusCode(err) == http.StatusForbidden {
			// Microsoft Entra ID identities cannot create databases or
			// containers through the data plane; infrastructure as code must.
			log.Warn("this identity may not create the database or containers; assuming they exist", "err", err)
		} else if err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// tokenCredential is the Microsoft Entra ID credential of a keyless config.
func tokenCredential(cfg Config) (azcore.TokenCredential, error) {
	if cfg.EmulatorToken {
		key := cfg.Key
		if key == "" {
			key = cosmosemu.EmulatorKey
		}
		return emulatorToken{key: key}, nil
	}
	if cfg.ManagedIdentityClientID != "" {
		return azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(cfg.ManagedIdentityClientID)})
	}
	if cfg.ManagedIdentity {
		return azidentity.NewManagedIdentityCredential(nil)
	}
	return azidentity.NewDefaultAzureCredential(nil)
}

func insecureClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the emulator's self-signed certificate
		MaxIdleConnsPerHost: 64,
	}}
}

func (c *Conn) serveEmulator(addr, dir string, log *slog.Logger) error {
	cert, err := cosmosemu.Certificate(dir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator endpoint: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	c.stop, c.served = stop, make(chan error, 1)
	go func() { c.served <- c.embedded.Serve(ctx, ln, cert) }()
	c.emulator = "https://localhost:" + portOf(ln.Addr().String()) + "/"
	log.Info("embedded store also serves the emulator endpoint", "endpoint", c.emulator)
	return nil
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// remoteClient is a client of an account or emulator: with the key, else
// with Microsoft Entra ID.
func remoteClient(cfg Config, opts *azcosmos.ClientOptions) (*azcosmos.Client, error) {
	if cfg.InsecureTLS {
		opts.Transport = insecureClient()
	}
	if cfg.Key == "" || cfg.EmulatorToken {
		cred, err := tokenCredential(cfg)
		if err != nil {
			return nil, err
		}
		return azcosmos.NewClient(cfg.Endpoint, cred, opts)
	}
	cred, err := azcosmos.NewKeyCredential(cfg.Key)
	if err != nil {
		return nil, err
	}
	return azcosmos.NewClientWithKey(cfg.Endpoint, cred, opts)
}

// StartRetry bounds how long Open keeps asking a store that does not answer
// yet (connection refused or reset, 408, 429, 5xx) while it creates what is
// missing: a store restarting as the command that opens it starts (a
// crashed store process coming back, an emulator still starting). Other
// failures end Open at once.
const StartRetry = 30 * time.Second

// createResourcesPatiently is createResources, tried again with a doubling
// pause (100 ms to 2 s) while a remote store does not answer, for
// StartRetry, each time with a new client (the SDK keeps a failed first
// read of the account's properties for minutes).
func (c *Conn) createResourcesPatiently(ctx context.Context, log *slog.Logger) error {
	deadline := time.Now().Add(StartRetry)
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := c.createResources(ctx)
		if err == nil || c.connect == nil || !notAnswering(err) || time.Now().Add(delay).After(deadline) {
			return err
		}
		log.Warn("the store does not answer yet; retrying", "attempt", attempt, "err", err)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return err
		}
		delay = min(2*delay, 2*time.Second)
		if cerr := c.connect(); cerr != nil {
			return cerr
		}
	}
}

// notAnswering says whether err means the store is not there or not ready
// yet, rather than refusing what was asked.
func notAnswering(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch StatusCode(err) {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case 0:
		var ne net.Error
		return errors.As(err, &ne) // refused, reset, timed out
	}
	return false
}

// createResources creates the database and every container, ignoring 409s.
func (c *Conn) createResources(ctx context.Context) error {
	if _, err := c.Client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: c.Database}, nil); err != nil && StatusCode(err) != http.StatusConflict {
		return fmt.Errorf("create database %s: %w", c.Database, err)
	}
	db, err := c.Client.NewDatabase(c.Database)
	if err != nil {
		return err
	}
	for name, path := range partitionKeys {
		_, err := db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: name,
			PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{path}, Version: 2}}, nil)
		if err != nil && StatusCode(err) != http.StatusConflict {
			return fmt.Errorf("create container %s: %w", name, err)
		}
	}
	return nil
}

// Container returns a client for one of the product's containers.
func (c *Conn) Container(name string) *azcosmos.ContainerClient {
	cc, _ := c.Client.NewContainer(c.Database, name)
	return cc
}

// Embedded returns the in-process server, or nil for a remote account.
func (c *Conn) Embedded() *cosmosemu.Server { return c.embedded }

// Close stops the embedded server, if any.
func (c *Conn) Close() error {
	if c.stop != nil {
		c.stop()
		<-c.served
	}
	if c.embedded != nil {
		return c.embedded.Close()
	}
	return nil
}

// StatusCode returns the HTTP status of an SDK error, or 0.
func StatusCode(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}
