package cosmosemu

import "strings"

// account answers the database account read the SDKs start with; its
// locations point back at the address the client used.
func (s *Server) account(req *request) error {
	scheme := "http"
	if req.x.isTLS() {
		scheme = "https"
	}
	host := req.x.host()
	if strings.HasPrefix(host, "localhost:") {
		// The emulator advertises its loopback address, not the name used.
		host = "127.0.0.1:" + strings.TrimPrefix(host, "localhost:")
	}
	endpoint := scheme + "://" + host + "/"
	loc := []map[string]any{{"name": "South Central US", "databaseAccountEndpoint": endpoint}}
	return s.writeJSON(req, 200, map[string]any{
		"_self": "", "id": "localhost", "_rid": "localhost", "media": "//media/", "addresses": "//addresses/", "_dbs": "//dbs/",
		"writableLocations": loc, "readableLocations": loc, "enableMultipleWriteLocations": false,
		"userReplicationPolicy":   map[string]any{"asyncReplication": false, "minReplicaSetSize": 1, "maxReplicasetSize": 4},
		"userConsistencyPolicy":   map[string]any{"defaultConsistencyLevel": s.consistency},
		"systemReplicationPolicy": map[string]any{"minReplicaSetSize": 1, "maxReplicasetSize": 4},
		"readPolicy":              map[string]any{"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1},
		"queryEngineConfiguration": `{"maxSqlQueryInputLength":262144,"maxJoinsPerSqlQuery":5,"maxLogicalAndPerSqlQuery":500,` +
			`"maxLogicalOrPerSqlQuery":500,"maxUdfRefPerSqlQuery":10,"maxInExpressionItemsCount":16000,"queryTimeoutInSeconds":30,` +
			`"maxDocumentsOnSingleQuery":4000,"spatialMaxGeometryPointCount":256,"sqlAllowNonFiniteNumbers":false,` +
			`"sqlDisableOptimizationFlags":0,"enableSpatialIndexing":true,"maxInMemorySortDocumentCount":500,` +
			`"maxQueryRequestTimeoutFraction":0.9,"sqlAllowAggregateFunctions":true,"sqlAllowGroupByClause":false,` +
			`"sqlAllowLike":true,"sqlAllowSubQuery":false,"sqlAllowScalarSubQuery":false,"sqlAllowTop":true}`,
	})
}
