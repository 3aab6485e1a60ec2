package cosmosdb

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// UpsertItem writes one document into a container of the product under a
// string partition key, for tools that fill containers (loads, benchmarks)
// without seeing an SDK type.
func (c *Conn) UpsertItem(ctx context.Context, container, partitionKey string, doc []byte) error {
	if _, err := c.Container(container).UpsertItem(ctx, azcosmos.NewPartitionKeyString(partitionKey), doc, nil); err != nil {
		return fmt.Errorf("upsert into %s: %w", container, err)
	}
	return nil
}
