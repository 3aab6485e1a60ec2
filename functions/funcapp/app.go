// Package funcapp reads the Azure Functions app at the repository root:
// host.json and one <FunctionName>/function.json per function, as the
// Functions host reads them, into typed configuration with the Cosmos DB
// trigger's defaults applied. Both sides of the custom handler protocol use
// it: `orderctx functions` to know which routes to serve, and
// `orderctx funchost` to know which feeds to follow and how to retry.
package funcapp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// File names the Functions host looks for.
const (
	HostFile     = "host.json"
	FunctionFile = "function.json"
)

// App is a Functions app: its host configuration and its functions, sorted
// by name.
type App struct {
	Root      string
	Host      Host
	Functions []Function
}

// Function is one folder with a function.json. Its name is the folder's name,
// which is also the custom handler route (POST /<Name>).
type Function struct {
	Name    string
	Trigger CosmosDBTrigger
	// Retry is nil when function.json has no retry policy.
	Retry *RetryPolicy
}

// Function returns the function with the given name (case-insensitive, as
// the host matches names), or nil.
func (a *App) Function(name string) *Function {
	for i := range a.Functions {
		if strings.EqualFold(a.Functions[i].Name, name) {
			return &a.Functions[i]
		}
	}
	return nil
}

// RootFromEnv is the app root the host gives its custom handler
// (FUNCTIONS_APP_ROOT_PATH), or the working directory, which the host sets
// to the app root too.
func RootFromEnv(getenv func(string) string) string {
	if root := getenv("FUNCTIONS_APP_ROOT_PATH"); root != "" {
		return root
	}
	return "."
}

// Load reads host.json and every <dir>/function.json directly under root,
// resolves %NAME% app setting references in the trigger's names with getenv
// (nil: os.Getenv), applies the defaults and validates. Every problem found
// is reported at once, joined.
func Load(root string, getenv func(string) string) (*App, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	app := &App{Root: root}
	host, hostErr := loadHost(filepath.Join(root, HostFile))
	errs := []error{hostErr}
	if hostErr == nil {
		app.Host = host
		errs = append(errs, host.validate())
	}
	dirs, err := functionDirs(root)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	if len(dirs) == 0 {
		errs = append(errs, errors.New("the app has no function: no folder under the root holds a function.json"))
	}
	for _, dir := range dirs {
		fn, decoded, err := loadFunction(filepath.Join(root, dir), dir, getenv)
		errs = append(errs, err)
		if decoded {
			// Validate what could be read, so one run lists every problem.
			errs = append(errs, fn.validate())
			app.Functions = append(app.Functions, fn)
		}
	}
	errs = append(errs, app.validateLeasePrefixes())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return app, nil
}

// functionDirs lists the folders directly under root that hold a
// function.json, sorted.
func functionDirs(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read app root: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), FunctionFile)); err == nil {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}

// functionName is the host's rule for function names (folder names).
var functionName = regexp.MustCompile(`(?i)^[a-z][a-z0-9_\-]{0,127}$`)

// Validate reports every problem of the app at once: host.json, each
// function, and what the functions must not share.
func (a *App) Validate() error {
	errs := []error{a.Host.validate()}
	if len(a.Functions) == 0 {
		errs = append(errs, errors.New("the app has no function: no folder under the root holds a function.json"))
	}
	for i := range a.Functions {
		errs = append(errs, a.Functions[i].validate())
	}
	errs = append(errs, a.validateLeasePrefixes())
	return errors.Join(errs...)
}

func (f *Function) validate() error {
	var errs []error
	if !functionName.MatchString(f.Name) {
		errs = append(errs, fmt.Errorf("%q is not a valid function name (a letter, then up to 127 letters, digits, '_' or '-')", f.Name))
	}
	errs = append(errs, f.Trigger.validate())
	if f.Retry == nil {
		errs = append(errs, errors.New("retry: missing; without a retry policy the host checkpoints a failed batch and it is lost"))
	} else {
		errs = append(errs, f.Retry.validate())
	}
	return prefixErrors(f.Name+"/"+FunctionFile, errs)
}

// validateLeasePrefixes refuses two functions whose leases would mix: the
// change feed processor finds its leases by id prefix (STARTSWITH), so in one
// lease container no function's prefix may be a prefix of another's.
func (a *App) validateLeasePrefixes() error {
	var errs []error
	for i := range a.Functions {
		for j := i + 1; j < len(a.Functions); j++ {
			x, y := &a.Functions[i].Trigger, &a.Functions[j].Trigger
			if !x.sharesLeaseContainer(y) {
				continue
			}
			if hasPrefix(x.LeaseContainerPrefix, y.LeaseContainerPrefix) || hasPrefix(y.LeaseContainerPrefix, x.LeaseContainerPrefix) {
				errs = append(errs, fmt.Errorf("functions %s and %s share lease container %s with overlapping leaseContainerPrefix %q and %q: their leases would mix",
					a.Functions[i].Name, a.Functions[j].Name, x.LeaseContainerName, x.LeaseContainerPrefix, y.LeaseContainerPrefix))
			}
		}
	}
	return errors.Join(errs...)
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// prefixErrors names the file every error belongs to.
func prefixErrors(where string, errs []error) error {
	var out []error
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, e := range unjoin(err) {
			out = append(out, fmt.Errorf("%s: %w", where, e))
		}
	}
	return errors.Join(out...)
}

// unjoin flattens errors.Join trees so each problem is one line.
func unjoin(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, unjoin(e)...)
	}
	return out
}
