package servicebus

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultTopic is the topic name when SERVICEBUS_TOPIC is not set.
const DefaultTopic = "orders"

// namespaceSuffix completes a short namespace name (Azure public cloud).
const namespaceSuffix = ".servicebus.windows.net"

// Config says where to send and how to authenticate: exactly one of
// Namespace (Microsoft Entra ID through DefaultAzureCredential) and
// ConnectionString (shared access key).
type Config struct {
	// Namespace is "<name>.servicebus.windows.net" or just "<name>".
	Namespace        string
	ConnectionString string
	// Topic defaults to DefaultTopic.
	Topic string
	// MaxBatchMessages bounds the messages per batch; 0 means as many as fit
	// the topic's size limit. A partitioned topic with duplicate detection
	// refuses batches of messages with different ids, so it needs 1.
	MaxBatchMessages int
}

// FromEnv reads SERVICEBUS_NAMESPACE, SERVICEBUS_CONNECTION_STRING and
// SERVICEBUS_TOPIC.
func FromEnv(getenv func(string) string) Config {
	return Config{
		Namespace:        strings.TrimSpace(getenv("SERVICEBUS_NAMESPACE")),
		ConnectionString: strings.TrimSpace(getenv("SERVICEBUS_CONNECTION_STRING")),
		Topic:            strings.TrimSpace(getenv("SERVICEBUS_TOPIC")),
	}
}

// Configured reports whether the environment chose Service Bus at all.
func (c Config) Configured() bool { return c.Namespace != "" || c.ConnectionString != "" }

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.Namespace == "" && c.ConnectionString == "":
		errs = append(errs, errors.New("servicebus: set SERVICEBUS_NAMESPACE (Entra ID) or SERVICEBUS_CONNECTION_STRING"))
	case c.Namespace != "" && c.ConnectionString != "":
		errs = append(errs, errors.New("servicebus: set SERVICEBUS_NAMESPACE or SERVICEBUS_CONNECTION_STRING, not both"))
	case c.Namespace != "" && strings.ContainsAny(c.Namespace, "/: "):
		errs = append(errs, fmt.Errorf("servicebus: namespace %q: want a host name such as contoso.servicebus.windows.net", c.Namespace))
	}
	if strings.ContainsAny(c.Topic, " \t?#") {
		errs = append(errs, fmt.Errorf("servicebus: topic %q is not a valid entity name", c.Topic))
	}
	if c.MaxBatchMessages < 0 {
		errs = append(errs, fmt.Errorf("servicebus: MaxBatchMessages %d < 0", c.MaxBatchMessages))
	}
	return errors.Join(errs...)
}

// fullyQualifiedNamespace completes a short namespace name.
func (c Config) fullyQualifiedNamespace() string {
	if strings.Contains(c.Namespace, ".") {
		return c.Namespace
	}
	return c.Namespace + namespaceSuffix
}

func (c Config) topic() string {
	if c.Topic == "" {
		return DefaultTopic
	}
	return c.Topic
}
