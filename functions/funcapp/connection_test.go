package funcapp_test

import (
	"errors"
	"strings"
	"testing"

	"orderctx/functions/funcapp"
	"orderctx/infra/cosmosdb"
)

const emulatorKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="

func TestConnectionConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want cosmosdb.Config
	}{
		{"connection string", map[string]string{"CosmosDB": "AccountEndpoint=https://localhost:8081/;AccountKey=" + emulatorKey + ";"},
			cosmosdb.Config{Endpoint: "https://localhost:8081/", Key: emulatorKey}},
		{"connection string, keys in any case and order", map[string]string{"CosmosDB": " accountkey=k== ; ACCOUNTENDPOINT=https://a.documents.azure.com:443/ ;Database=x"},
			cosmosdb.Config{Endpoint: "https://a.documents.azure.com:443/", Key: "k=="}},
		{"identity: DefaultAzureCredential", map[string]string{"CosmosDB__accountEndpoint": "https://a.documents.azure.com:443/"},
			cosmosdb.Config{Endpoint: "https://a.documents.azure.com:443/"}},
		{"identity: managed identity", map[string]string{"CosmosDB__accountEndpoint": "https://a/", "CosmosDB__credential": "managedidentity"},
			cosmosdb.Config{Endpoint: "https://a/", ManagedIdentity: true}},
		{"identity: user-assigned managed identity", map[string]string{"CosmosDB__accountEndpoint": "https://a/", "CosmosDB__credential": "ManagedIdentity", "CosmosDB__clientId": "cid"},
			cosmosdb.Config{Endpoint: "https://a/", ManagedIdentity: true, ManagedIdentityClientID: "cid"}},
		{"endpoint and key", map[string]string{"CosmosDB__accountEndpoint": "https://localhost:8081/", "CosmosDB__accountKey": emulatorKey},
			cosmosdb.Config{Endpoint: "https://localhost:8081/", Key: emulatorKey}},
		{"AzureWebJobs prefix first", map[string]string{"AzureWebJobsCosmosDB__accountEndpoint": "https://first/", "CosmosDB__accountEndpoint": "https://second/"},
			cosmosdb.Config{Endpoint: "https://first/"}},
		{"connection string beats its own children", map[string]string{"CosmosDB": "AccountEndpoint=https://cs/;AccountKey=k;", "CosmosDB__accountEndpoint": "https://child/"},
			cosmosdb.Config{Endpoint: "https://cs/", Key: "k"}},
		{"fallback to COSMOS_ENDPOINT", map[string]string{"COSMOS_ENDPOINT": "https://env/", "COSMOS_KEY": "k", "COSMOS_SKIP_CREATE": "true", "COSMOS_INSECURE_TLS": "true"},
			cosmosdb.Config{Endpoint: "https://env/", Key: "k", SkipCreate: true, InsecureTLS: true}},
		{"COSMOS_ flags apply to the named connection", map[string]string{"CosmosDB__accountEndpoint": "https://a/", "COSMOS_SKIP_CREATE": "true", "COSMOS_ENDPOINT": "https://ignored/"},
			cosmosdb.Config{Endpoint: "https://a/", SkipCreate: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := funcapp.ConnectionConfig("CosmosDB", env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestConnectionConfigRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", nil, "set CosmosDB (a connection string), CosmosDB__accountEndpoint, or COSMOS_ENDPOINT"},
		{"connection string without key", map[string]string{"CosmosDB": "AccountEndpoint=https://a/;"}, "app setting CosmosDB: not a Cosmos DB connection string"},
		{"not a connection string", map[string]string{"CosmosDB": "https://a/"}, "app setting CosmosDB: not a Cosmos DB connection string"},
		{"children without endpoint", map[string]string{"CosmosDB__credential": "managedidentity", "COSMOS_ENDPOINT": "https://env/"}, "CosmosDB__accountEndpoint: missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := funcapp.ConnectionConfig("CosmosDB", env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if c.env == nil && !errors.Is(err, funcapp.ErrNoConnection) {
				t.Errorf("error %v is not ErrNoConnection", err)
			}
		})
	}
	_, err := funcapp.ConnectionConfig("CosmosDB", env(map[string]string{"CosmosDB": "AccountKey=" + emulatorKey}))
	if err == nil || strings.Contains(err.Error(), emulatorKey) {
		t.Errorf("the error quotes the key or is missing: %v", err)
	}
}

func TestTriggerConnectionConfigs(t *testing.T) {
	t.Parallel()
	tr := funcapp.CosmosDBTrigger{Connection: "Mon", LeaseConnection: "Lease", DatabaseName: "db", LeaseDatabaseName: "ldb"}
	e := env(map[string]string{"Mon__accountEndpoint": "https://mon/", "Lease__accountEndpoint": "https://lease/"})
	mon, err := tr.ConnectionConfig(e)
	if err != nil || mon.Endpoint != "https://mon/" || mon.Database != "db" {
		t.Errorf("monitored: %+v, %v", mon, err)
	}
	lease, err := tr.LeaseConnectionConfig(e)
	if err != nil || lease.Endpoint != "https://lease/" || lease.Database != "ldb" {
		t.Errorf("leases: %+v, %v", lease, err)
	}
}
