package cosmosdb

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
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

// ErrConditionFailed is wrapped by PutConditioned's error when the document
// is not as the caller saw it: it exists already (a create) or changed or
// is gone (a replace).
var ErrConditionFailed = errors.New("the document is not as it was read")

// ReadByID reads a document of a container partitioned on /id; found is
// false when there is none. Errors: es.Unavailable, es.Internal.
func (c *Conn) ReadByID(ctx context.Context, container, id string) (doc []byte, found bool, err error) {
	resp, err := c.Container(container).ReadItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
	if StatusCode(err) == http.StatusNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, Translate(err, "read "+id+" in "+container)
	}
	return resp.Value, true, nil
}

// PutConditioned writes a document of a container partitioned on /id:
// created when etag is "", else replaced if it still has that etag. It
// returns the new etag. Coordination documents (pointers, claims) are
// written this way, so of two writers that read the same version only one
// succeeds. Errors: ErrConditionFailed (wrapped), es.Unavailable, es.Internal.
func (c *Conn) PutConditioned(ctx context.Context, container, id string, doc []byte, etag string) (string, error) {
	items, pk := c.Container(container), azcosmos.NewPartitionKeyString(id)
	var resp azcosmos.ItemResponse
	var err error
	if etag == "" {
		resp, err = items.CreateItem(ctx, pk, doc, nil)
	} else {
		match := azcore.ETag(etag)
		resp, err = items.ReplaceItem(ctx, pk, id, doc, &azcosmos.ItemOptions{IfMatchEtag: &match})
	}
	switch StatusCode(err) {
	case 0:
		return string(resp.ETag), nil
	case http.StatusConflict, http.StatusPreconditionFailed, http.StatusNotFound:
		return "", fmt.Errorf("write %s in %s: %w", id, container, ErrConditionFailed)
	}
	return "", Translate(err, "write "+id+" in "+container)
}

// DeleteConditioned deletes a document of a container partitioned on /id
// if it still has etag. Errors: ErrConditionFailed (wrapped: changed or
// gone), es.Unavailable, es.Internal.
func (c *Conn) DeleteConditioned(ctx context.Context, container, id, etag string) error {
	match := azcore.ETag(etag)
	_, err := c.Container(container).DeleteItem(ctx, azcosmos.NewPartitionKeyString(id), id, &azcosmos.ItemOptions{IfMatchEtag: &match})
	switch StatusCode(err) {
	case 0:
		return nil
	case http.StatusPreconditionFailed, http.StatusNotFound:
		return fmt.Errorf("delete %s in %s: %w", id, container, ErrConditionFailed)
	}
	return Translate(err, "delete "+id+" in "+container)
}
