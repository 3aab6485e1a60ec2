package funcapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Host is what this project reads from host.json.
type Host struct {
	Version         string
	ExtensionBundle ExtensionBundle
	CustomHandler   CustomHandler
	// FunctionTimeout is 0 when host.json does not set it (the plan's
	// default applies: 5 minutes on Consumption, 30 otherwise).
	FunctionTimeout time.Duration
	// CosmosDBConnectionMode is extensions.cosmosDB.connectionMode, "" when
	// unset (the extension then uses Gateway).
	CosmosDBConnectionMode string
}

// ExtensionBundle names the binding extensions the host downloads for a
// non-.NET app; the Cosmos DB trigger comes from it.
type ExtensionBundle struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// CustomHandler is host.json's customHandler section.
type CustomHandler struct {
	Description                 CustomHandlerDescription `json:"description"`
	EnableForwardingHTTPRequest bool                     `json:"enableForwardingHttpRequest"`
}

// CustomHandlerDescription says how the host starts the handler process.
type CustomHandlerDescription struct {
	DefaultExecutablePath string   `json:"defaultExecutablePath"`
	WorkingDirectory      string   `json:"workingDirectory"`
	Arguments             []string `json:"arguments"`
}

// hostJSON is the file's shape; names match case-insensitively, as the
// host's configuration does.
type hostJSON struct {
	Version         string          `json:"version"`
	ExtensionBundle ExtensionBundle `json:"extensionBundle"`
	CustomHandler   CustomHandler   `json:"customHandler"`
	FunctionTimeout string          `json:"functionTimeout"`
	Extensions      struct {
		CosmosDB struct {
			ConnectionMode string `json:"connectionMode"`
		} `json:"cosmosDB"`
	} `json:"extensions"`
}

func loadHost(path string) (Host, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Host{}, fmt.Errorf("%s: %w", HostFile, err)
	}
	var raw hostJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return Host{}, fmt.Errorf("%s: %w", HostFile, err)
	}
	h := Host{Version: raw.Version, ExtensionBundle: raw.ExtensionBundle, CustomHandler: raw.CustomHandler,
		CosmosDBConnectionMode: raw.Extensions.CosmosDB.ConnectionMode}
	if raw.FunctionTimeout != "" && raw.FunctionTimeout != "-1" {
		if h.FunctionTimeout, err = ParseTimeSpan(raw.FunctionTimeout); err != nil {
			return Host{}, fmt.Errorf("%s: functionTimeout: %w", HostFile, err)
		}
	}
	return h, nil
}

func (h *Host) validate() error {
	var errs []error
	if h.Version != "2.0" {
		errs = append(errs, fmt.Errorf("version is %q; the Functions runtime 4.x reads host.json version \"2.0\"", h.Version))
	}
	if h.ExtensionBundle.ID == "" || h.ExtensionBundle.Version == "" {
		errs = append(errs, errors.New("extensionBundle: id and version are required; the Cosmos DB trigger comes from the bundle"))
	}
	if h.CustomHandler.Description.DefaultExecutablePath == "" {
		errs = append(errs, errors.New("customHandler.description.defaultExecutablePath: missing; the host starts the custom handler with it"))
	}
	switch strings.ToLower(h.CosmosDBConnectionMode) {
	case "", "gateway", "direct":
	default:
		errs = append(errs, fmt.Errorf("extensions.cosmosDB.connectionMode is %q; want Gateway or Direct", h.CosmosDBConnectionMode))
	}
	return prefixErrors(HostFile, errs)
}
