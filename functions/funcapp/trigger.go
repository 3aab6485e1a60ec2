package funcapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// TriggerType is the binding type of the Cosmos DB trigger.
const TriggerType = "cosmosDBTrigger"

// Defaults of the Cosmos DB trigger (extension 4.x) for properties that
// function.json leaves out (or sets to 0).
const (
	DefaultConnection              = "CosmosDB"
	DefaultLeaseContainerName      = "leases"
	DefaultFeedPollDelay           = 5 * time.Second
	DefaultLeaseAcquireInterval    = 13 * time.Second
	DefaultLeaseExpirationInterval = 60 * time.Second
	DefaultLeaseRenewInterval      = 17 * time.Second
	// DefaultMaxItemsPerInvocation: without the property the extension sets
	// no page size, so the service's change feed default of 100 applies.
	DefaultMaxItemsPerInvocation = 100
)

// CosmosDBTrigger is a function's cosmosDBTrigger binding with the
// defaults applied and %NAME% app setting references resolved.
type CosmosDBTrigger struct {
	// Name is the binding name: the key of the documents in the request's
	// Data object.
	Name string
	// Connection names the app settings of the monitored account (see
	// ConnectionConfig); LeaseConnection those of the lease container's.
	Connection, LeaseConnection string

	DatabaseName, ContainerName           string
	LeaseDatabaseName, LeaseContainerName string
	// LeaseContainerPrefix keeps this function's leases apart from other
	// functions' in a shared lease container.
	LeaseContainerPrefix            string
	CreateLeaseContainerIfNotExists bool
	LeasesContainerThroughput       int

	FeedPollDelay           time.Duration
	LeaseAcquireInterval    time.Duration
	LeaseExpirationInterval time.Duration
	LeaseRenewInterval      time.Duration
	MaxItemsPerInvocation   int

	// StartFromBeginning and StartFromTime apply only when the function has
	// no leases yet; otherwise the leases' continuations win.
	StartFromBeginning bool
	StartFromTime      time.Time // zero: not set
	PreferredLocations []string
}

// triggerJSON is the binding as written in function.json (extension 4.x
// names; matched case-insensitively).
type triggerJSON struct {
	Type                            string `json:"type"`
	Direction                       string `json:"direction"`
	Name                            string `json:"name"`
	Connection                      string `json:"connection"`
	DatabaseName                    string `json:"databaseName"`
	ContainerName                   string `json:"containerName"`
	LeaseConnection                 string `json:"leaseConnection"`
	LeaseDatabaseName               string `json:"leaseDatabaseName"`
	LeaseContainerName              string `json:"leaseContainerName"`
	CreateLeaseContainerIfNotExists bool   `json:"createLeaseContainerIfNotExists"`
	LeasesContainerThroughput       int    `json:"leasesContainerThroughput"`
	LeaseContainerPrefix            string `json:"leaseContainerPrefix"`
	FeedPollDelay                   int    `json:"feedPollDelay"`
	LeaseAcquireInterval            int    `json:"leaseAcquireInterval"`
	LeaseExpirationInterval         int    `json:"leaseExpirationInterval"`
	LeaseRenewInterval              int    `json:"leaseRenewInterval"`
	MaxItemsPerInvocation           int    `json:"maxItemsPerInvocation"`
	StartFromBeginning              bool   `json:"startFromBeginning"`
	StartFromTime                   string `json:"startFromTime"`
	PreferredLocations              string `json:"preferredLocations"`
	DataType                        string `json:"dataType"`
}

// knownProperties are the binding properties the 4.x trigger reads, keyed
// by their lower-case form.
var knownProperties = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{"type", "direction", "name", "dataType", "connection", "databaseName", "containerName",
		"leaseConnection", "leaseDatabaseName", "leaseContainerName", "createLeaseContainerIfNotExists",
		"leasesContainerThroughput", "leaseContainerPrefix", "feedPollDelay", "leaseAcquireInterval",
		"leaseExpirationInterval", "leaseRenewInterval", "maxItemsPerInvocation", "startFromBeginning",
		"startFromTime", "preferredLocations"} {
		m[strings.ToLower(p)] = true
	}
	return m
}()

// v3Properties are extension 3.x names that 4.x silently ignores: a
// function.json still using them would watch the wrong container or share
// leases, so they are refused with the 4.x name.
var v3Properties = map[string]string{
	"collectionname":                   "containerName",
	"connectionstringsetting":          "connection",
	"leasecollectionname":              "leaseContainerName",
	"leaseconnectionstringsetting":     "leaseConnection",
	"createleasecollectionifnotexists": "createLeaseContainerIfNotExists",
	"leasecollectionprefix":            "leaseContainerPrefix",
	"leasescollectionthroughput":       "leasesContainerThroughput",
	"checkpointinterval":               "",
	"checkpointdocumentcount":          "",
}

// parseTrigger reads one cosmosDBTrigger binding, applies the defaults and
// resolves %NAME% references. decoded is false when the JSON types are
// wrong and the values cannot be trusted.
func parseTrigger(raw json.RawMessage, getenv func(string) string) (_ CosmosDBTrigger, decoded bool, _ error) {
	var errs []error
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return CosmosDBTrigger{}, false, err
	}
	for k := range keys {
		lk := strings.ToLower(k)
		if knownProperties[lk] {
			continue
		}
		if v4, ok := v3Properties[lk]; ok && v4 != "" {
			errs = append(errs, fmt.Errorf("%s is the Cosmos DB extension 3.x name; 4.x reads %s", k, v4))
		} else if ok {
			errs = append(errs, fmt.Errorf("%s was removed in Cosmos DB extension 4.x (checkpoints follow every successful invocation)", k))
		} else {
			errs = append(errs, fmt.Errorf("%s is not a property of the Cosmos DB trigger", k))
		}
	}
	var t triggerJSON
	if err := json.Unmarshal(raw, &t); err != nil {
		return CosmosDBTrigger{}, false, errors.Join(append(errs, err)...)
	}
	if !strings.EqualFold(t.Direction, "in") {
		errs = append(errs, fmt.Errorf("direction is %q; a trigger's direction is \"in\"", t.Direction))
	}
	r := resolver{getenv: getenv}
	trig := CosmosDBTrigger{
		Name:                            t.Name,
		Connection:                      or(t.Connection, DefaultConnection),
		DatabaseName:                    r.resolve("databaseName", t.DatabaseName),
		ContainerName:                   r.resolve("containerName", t.ContainerName),
		LeaseContainerName:              r.resolve("leaseContainerName", or(t.LeaseContainerName, DefaultLeaseContainerName)),
		LeaseContainerPrefix:            r.resolve("leaseContainerPrefix", t.LeaseContainerPrefix),
		CreateLeaseContainerIfNotExists: t.CreateLeaseContainerIfNotExists,
		LeasesContainerThroughput:       t.LeasesContainerThroughput,
		FeedPollDelay:                   millis(t.FeedPollDelay, DefaultFeedPollDelay),
		LeaseAcquireInterval:            millis(t.LeaseAcquireInterval, DefaultLeaseAcquireInterval),
		LeaseExpirationInterval:         millis(t.LeaseExpirationInterval, DefaultLeaseExpirationInterval),
		LeaseRenewInterval:              millis(t.LeaseRenewInterval, DefaultLeaseRenewInterval),
		MaxItemsPerInvocation:           t.MaxItemsPerInvocation,
		StartFromBeginning:              t.StartFromBeginning,
		PreferredLocations:              splitList(r.resolve("preferredLocations", t.PreferredLocations)),
	}
	trig.LeaseConnection = or(t.LeaseConnection, trig.Connection)
	trig.LeaseDatabaseName = r.resolve("leaseDatabaseName", or(t.LeaseDatabaseName, trig.DatabaseName))
	if trig.MaxItemsPerInvocation == 0 {
		trig.MaxItemsPerInvocation = DefaultMaxItemsPerInvocation
	}
	if at := r.resolve("startFromTime", t.StartFromTime); at != "" {
		var err error
		if trig.StartFromTime, err = time.Parse(time.RFC3339, at); err != nil {
			errs = append(errs, fmt.Errorf("startFromTime %q is not ISO 8601 with a zone, e.g. 2021-02-16T14:19:29Z", at))
		}
	}
	errs = append(errs, r.errs...)
	errs = append(errs, negatives(t)...)
	return trig, true, errors.Join(errs...)
}

// negatives reports the intervals and counts the extension refuses below 0
// (0 means "the default").
func negatives(t triggerJSON) []error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{
		{"feedPollDelay", t.FeedPollDelay}, {"leaseAcquireInterval", t.LeaseAcquireInterval},
		{"leaseExpirationInterval", t.LeaseExpirationInterval}, {"leaseRenewInterval", t.LeaseRenewInterval},
		{"maxItemsPerInvocation", t.MaxItemsPerInvocation}, {"leasesContainerThroughput", t.LeasesContainerThroughput},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s is %d; it must not be negative", f.name, f.v))
		}
	}
	return errs
}

// bindingName is the host's rule for binding names.
var bindingName = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$`)

func (t *CosmosDBTrigger) validate() error {
	var errs []error
	if !bindingName.MatchString(t.Name) {
		errs = append(errs, fmt.Errorf("trigger name %q is not a valid binding name (a letter, then letters and digits)", t.Name))
	}
	if t.DatabaseName == "" || t.ContainerName == "" {
		errs = append(errs, errors.New("databaseName and containerName are required"))
	}
	if strings.EqualFold(t.Connection, t.LeaseConnection) && t.DatabaseName == t.LeaseDatabaseName && strings.EqualFold(t.ContainerName, t.LeaseContainerName) {
		errs = append(errs, fmt.Errorf("the monitored container %s cannot also hold the leases", t.ContainerName))
	}
	if !t.StartFromTime.IsZero() && t.StartFromBeginning {
		errs = append(errs, errors.New("only one of startFromBeginning and startFromTime can be set"))
	}
	if t.LeaseRenewInterval >= t.LeaseExpirationInterval {
		errs = append(errs, fmt.Errorf("leaseRenewInterval %s must be shorter than leaseExpirationInterval %s, or leases expire while held",
			t.LeaseRenewInterval, t.LeaseExpirationInterval))
	}
	return errors.Join(errs...)
}

// sharesLeaseContainer tells whether two triggers keep leases in the same
// container for the same monitored container.
func (t *CosmosDBTrigger) sharesLeaseContainer(o *CosmosDBTrigger) bool {
	return strings.EqualFold(t.LeaseConnection, o.LeaseConnection) && t.LeaseDatabaseName == o.LeaseDatabaseName &&
		strings.EqualFold(t.LeaseContainerName, o.LeaseContainerName)
}

// resolver replaces %NAME% with the app setting NAME, as the extension does
// for names, and collects the references to settings that are not set.
type resolver struct {
	getenv func(string) string
	errs   []error
}

var settingRef = regexp.MustCompile(`%([^%]+)%`)

func (r *resolver) resolve(field, s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return settingRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[1 : len(ref)-1]
		v := r.getenv(name)
		if v == "" {
			r.errs = append(r.errs, fmt.Errorf("%s refers to app setting %s, which is not set", field, name))
		}
		return v
	})
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func millis(ms int, def time.Duration) time.Duration {
	if ms <= 0 {
		return def
	}
	return time.Duration(ms) * time.Millisecond
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// functionJSON is function.json: bindings and the retry policy. Other
// members (scriptFile, disabled...) do not concern a custom handler.
type functionJSON struct {
	Bindings []json.RawMessage `json:"bindings"`
	Retry    *retryJSON        `json:"retry"`
}

// loadFunction reads one function folder. decoded is false when its JSON
// could not be read into the function's structure at all, so validating it
// would only add noise.
func loadFunction(dir, name string, getenv func(string) string) (fn Function, decoded bool, _ error) {
	where := name + "/" + FunctionFile
	b, err := os.ReadFile(filepath.Join(dir, FunctionFile))
	if err != nil {
		return Function{}, false, fmt.Errorf("%s: %w", where, err)
	}
	var raw functionJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return Function{}, false, fmt.Errorf("%s: %w", where, err)
	}
	fn = Function{Name: name}
	decoded = true
	var errs []error
	triggers := 0
	for i, bind := range raw.Bindings {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(bind, &head); err != nil {
			errs = append(errs, fmt.Errorf("bindings[%d]: %w", i, err))
			continue
		}
		if !strings.EqualFold(head.Type, TriggerType) {
			errs = append(errs, fmt.Errorf("bindings[%d]: type %q; this app's functions have only a %s binding", i, head.Type, TriggerType))
			continue
		}
		triggers++
		trig, ok, err := parseTrigger(bind, getenv)
		fn.Trigger, decoded = trig, decoded && ok
		errs = append(errs, prefixErrors(fmt.Sprintf("bindings[%d]", i), []error{err}))
	}
	if triggers != 1 {
		errs = append(errs, fmt.Errorf("%d %s bindings; a function has exactly one trigger", triggers, TriggerType))
		decoded = false
	}
	if raw.Retry != nil {
		fn.Retry, err = raw.Retry.policy()
		errs = append(errs, err)
	}
	return fn, decoded, prefixErrors(where, errs)
}
