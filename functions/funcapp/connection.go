package funcapp

import (
	"errors"
	"fmt"
	"strings"

	"orderctx/infra/cosmosdb"
)

// ErrNoConnection: no app setting names a Cosmos DB account for the
// connection. Callers that can run on the embedded store fall back to it.
var ErrNoConnection = errors.New("no Cosmos DB connection configured")

// ConnectionConfig reads the settings of the trigger's monitored account.
// The database is the trigger's databaseName.
func (t *CosmosDBTrigger) ConnectionConfig(getenv func(string) string) (cosmosdb.Config, error) {
	cfg, err := ConnectionConfig(t.Connection, getenv)
	cfg.Database = t.DatabaseName
	return cfg, err
}

// LeaseConnectionConfig reads the settings of the lease container's account.
func (t *CosmosDBTrigger) LeaseConnectionConfig(getenv func(string) string) (cosmosdb.Config, error) {
	cfg, err := ConnectionConfig(t.LeaseConnection, getenv)
	cfg.Database = t.LeaseDatabaseName
	return cfg, err
}

// ConnectionConfig reads the app settings of connection name as the Cosmos
// DB extension does, first under "AzureWebJobs<name>", then under "<name>":
//
//   - <name> = "AccountEndpoint=https://...;AccountKey=...;": a connection
//     string with the account key;
//   - <name>__accountEndpoint: Microsoft Entra ID, with
//     <name>__credential=managedidentity for the managed identity alone and
//     <name>__clientId for a user-assigned one. <name>__accountKey, which
//     the extension does not read, makes this project use the key instead
//     (the emulator accepts no Entra ID token).
//
// Without either it falls back to COSMOS_ENDPOINT and COSMOS_KEY, and
// without those returns ErrNoConnection. COSMOS_SKIP_CREATE and
// COSMOS_INSECURE_TLS apply to every form. Errors never quote a key.
func ConnectionConfig(name string, getenv func(string) string) (cosmosdb.Config, error) {
	base := cosmosdb.Config{
		SkipCreate:  getenv("COSMOS_SKIP_CREATE") == "true",
		InsecureTLS: getenv("COSMOS_INSECURE_TLS") == "true",
	}
	for _, setting := range []string{"AzureWebJobs" + name, name} {
		cfg, found, err := fromSetting(setting, base, getenv)
		if found || err != nil {
			return cfg, err
		}
	}
	if ep := getenv("COSMOS_ENDPOINT"); ep != "" {
		base.Endpoint, base.Key = ep, getenv("COSMOS_KEY")
		return base, nil
	}
	return base, fmt.Errorf("%w: set %s (a connection string), %s__accountEndpoint, or COSMOS_ENDPOINT", ErrNoConnection, name, name)
}

// fromSetting reads one setting and its __-children; found is false when
// none of them is set.
func fromSetting(setting string, cfg cosmosdb.Config, getenv func(string) string) (_ cosmosdb.Config, found bool, _ error) {
	if s := getenv(setting); s != "" {
		ep, key, err := parseConnectionString(s)
		if err != nil {
			return cfg, true, fmt.Errorf("app setting %s: %w", setting, err)
		}
		cfg.Endpoint, cfg.Key = ep, key
		return cfg, true, nil
	}
	child := func(k string) string { return getenv(setting + "__" + k) }
	cfg.Endpoint, cfg.Key, cfg.ManagedIdentityClientID = child("accountEndpoint"), child("accountKey"), child("clientId")
	credential := child("credential")
	cfg.ManagedIdentity = strings.EqualFold(credential, "managedidentity")
	switch {
	case cfg.Endpoint != "":
		return cfg, true, nil
	case cfg.Key != "" || cfg.ManagedIdentityClientID != "" || credential != "":
		return cfg, true, fmt.Errorf("app setting %s__accountEndpoint: missing, but other %s__ settings are set", setting, setting)
	}
	return cfg, false, nil
}

// parseConnectionString reads "AccountEndpoint=...;AccountKey=...;" (keys
// in any case and order; other keys ignored).
func parseConnectionString(s string) (endpoint, key string, err error) {
	for part := range strings.SplitSeq(s, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "accountendpoint":
			endpoint = strings.TrimSpace(v)
		case "accountkey":
			key = strings.TrimSpace(v)
		}
	}
	if endpoint == "" || key == "" {
		return "", "", errors.New("not a Cosmos DB connection string: want AccountEndpoint=https://...;AccountKey=...; (for Microsoft Entra ID set <name>__accountEndpoint instead)")
	}
	return endpoint, key, nil
}
