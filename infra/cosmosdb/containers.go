package cosmosdb

import (
	"context"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// CreateViewsContainer creates a container shaped like Views (partitioned
// on /id), for a rebuild that fills a new generation of the views beside
// the live one. It reports whether the container was created (false: it
// existed already). With Microsoft Entra ID the data plane may not create
// containers; infrastructure as code must then create it first.
func (c *Conn) CreateViewsContainer(ctx context.Context, name string) (created bool, err error) {
	db, err := c.Client.NewDatabase(c.Database)
	if err != nil {
		return false, err
	}
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: name,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{partitionKeys[Views]}, Version: 2}}, nil)
	switch StatusCode(err) {
	case 0:
		return true, nil
	case http.StatusConflict:
		return false, nil
	}
	return false, Translate(err, "create container "+name)
}

// ContainerExists reports whether a container of the database exists.
func (c *Conn) ContainerExists(ctx context.Context, name string) (bool, error) {
	_, err := c.Container(name).Read(ctx, nil)
	switch StatusCode(err) {
	case 0:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, Translate(err, "read container "+name)
}

// DeleteContainer drops a container and everything in it; a container
// already gone is not an error. Only the views generations a rebuild left
// behind are meant to be dropped: the product's fixed containers are
// created again by the next Open.
func (c *Conn) DeleteContainer(ctx context.Context, name string) error {
	_, err := c.Container(name).Delete(ctx, nil)
	if s := StatusCode(err); s == 0 || s == http.StatusNotFound {
		return nil
	}
	return fmt.Errorf("delete container %s: %w", name, Translate(err, "delete container "+name))
}
