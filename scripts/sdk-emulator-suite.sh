#!/usr/bin/env bash
# Run the official Azure Cosmos DB Go SDK (azcosmos v1.5.0) emulator
# integration tests (emulator_*_test.go) against the embedded orderctx
# Cosmos DB-compatible server.
#
# Usage: scripts/sdk-emulator-suite.sh [RUN_PATTERN] [extra go test flags...]
#
#   RUN_PATTERN  -run regexp passed to `go test` (default: every emulator test
#                the server can serve, see INCLUDED below). Pass "" to keep
#                the default while adding extra flags.
#   extra flags  appended to `go test`, e.g. -failfast or -run-specific -count.
#
# Environment:
#   SDK_SUITE_TIMEOUT  go test -timeout (default 10m)
#   SDK_SUITE_LOG      where to keep the full go test output
#                      (default: a new /tmp/sdk-emulator-suite.XXXXXX.log)
#   SDK_SUITE_PORT     must stay 8081: the SDK tests hard-code
#                      https://localhost:8081/ (default 8081)
#
# The script builds orderctx into a temp dir, starts `orderctx cosmos` with a
# throwaway data directory on 127.0.0.1:8081 (HTTPS with the self-signed
# certificate it keeps there, emulator well-known key), copies the
# azcosmos module out of the read-only module cache, runs
# `EMULATOR=1 SSL_CERT_FILE=<the server's cert.pem> go test -v -count=1 -run PATTERN ./...`
# in the copy, prints a summary and exits non-zero if any test failed (or go test itself failed).
# The server process it started is always killed, by PID, on exit.
set -euo pipefail

AZCOSMOS_VERSION=v1.5.0
PORT=${SDK_SUITE_PORT:-8081}
TIMEOUT=${SDK_SUITE_TIMEOUT:-10m}

# Emulator tests that are run by default (azcosmos v1.5.0).
INCLUDED=(
	# emulator_cosmos_aad_test.go (Entra ID tokens minted as the emulator
	# accepts them: see docs/cosmos-server.md)
	TestAAD
	TestAAD_Emulator_UsesClientOptionsAudience
	TestAAD_Emulator_UsesAccountScope_WhenNoAudienceProvided
	# emulator_cosmos_batch_test.go
	TestItemTransactionalBatch
	TestItemTransactionalBatchError
	# emulator_cosmos_change_feed_split_test.go
	TestEmulatorChangeFeed_F1_SubRangeOfPhysicalRange
	TestEmulatorChangeFeed_F1_WideRangeMultiDrain
	TestEmulatorChangeFeed_F1_CrossContainerTokenRejected
	# emulator_cosmos_container_test.go
	TestContainerCRUD
	TestContainerAutoscaleCRUD
	TestContainerVectorSearch
	TestContainerFullTextSearch
	TestEmulatorContainerPartitionKeyRangesAndFeedRanges
	TestEmulatorContainerChangeFeed
	# emulator_cosmos_database_test.go
	TestDatabaseCRUD
	TestDatabaseWithOfferCRUD
	# emulator_cosmos_global_endpoint_manager_test.go (single region only)
	TestGlobalEndpointManagerEmulator
	TestGlobalEndpointManagerPolicyEmulator
	# emulator_cosmos_item_test.go
	TestItemCRUD
	TestItemCRUDforNullPartitionKey
	TestItemConcurrent
	TestItemIdEncodingRoutingGW
	TestItemCRUDHierarchicalPartitionKey
	# emulator_cosmos_logging_test.go
	TestLoggingEndpointFailureAndRecovery
	TestLoggingAllowedHeaders
	# emulator_cosmos_query_test.go
	TestSinglePartitionQueryWithIndexMetrics
	TestSinglePartitionQuery
	TestSinglePartitionQueryInline
	TestSinglePartitionQueryWithParameters
	TestSinglePartitionQueryWithProjection
	TestCrossPartitionQuery
	TestCrossPartitionQueryRejectedWhenEnableCrossPartitionIsFalse
	TestCrossPartitionQueryFailsIfGatewayCannotSatisfyRequest
	TestHierarchicalPartitionQuerySinglePartition
	TestHierarchicalPartitionQueryParentPartition
	TestHierarchicalPartitionQueryNoPartition
	# emulator_cosmos_read_many_items_test.go
	TestReadMany_NilItemsSlice
	TestReadMany_ReadSeveralItems
	TestReadMany_NilIDReturnsError
	TestReadMany_PartialFailure
	TestReadManyWithQueries_MultipleLogicalPKs
	TestReadMany_NullPartitionKey
)
# Excluded emulator tests (need something the server does not offer):
#   TestItemIdEncodingComputeGW (emulator_cosmos_item_test.go) - talks to the
#       emulator's compute gateway on https://localhost:8903/, which the
#       server does not serve.
#   Multi-region: no v1.5.0 emulator test needs more than one region; the
#       global endpoint manager tests above only check the single
#       "South Central US" region the emulator reports, so they are included.
# Every test outside emulator_*_test.go is a unit test (no server) and is not
# selected by the default pattern.

join() { local IFS='|'; echo "$*"; }
DEFAULT_PATTERN="^($(join "${INCLUDED[@]}"))\$"

PATTERN=$DEFAULT_PATTERN
if [[ $# -gt 0 ]]; then
	[[ -n $1 ]] && PATTERN=$1
	shift
fi
EXTRA_FLAGS=("$@")

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sdk-emulator-suite.XXXXXX")
LOG=${SDK_SUITE_LOG:-$(mktemp "${TMPDIR:-/tmp}/sdk-emulator-suite.XXXXXX.log")}
SERVER_PID=

cleanup() {
	local rc=$?
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	# Keep the server log next to the test log for diagnosis.
	[[ -f $WORK/server.log ]] && cp "$WORK/server.log" "${LOG%.log}.server.log" 2>/dev/null || true
	chmod -R u+w "$WORK" 2>/dev/null || true
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
# "Answers" = completes an HTTPS exchange (any status; 401 is expected without
# a signature). Falls back to a bare TCP connect when curl is missing.
server_answers() {
	if command -v curl >/dev/null; then
		curl -sk -o /dev/null --max-time 2 "https://127.0.0.1:$PORT/"
	else
		port_open
	fi
}

if port_open; then
	echo "error: 127.0.0.1:$PORT is already in use; refusing to test a server this script did not start" >&2
	exit 2
fi

echo "==> building orderctx ($REPO)"
(cd "$REPO" && go build -o "$WORK/orderctx" .)

# A data directory rather than -memory: the server keeps its certificate
# there, and the tests trust it as emulator users trust the emulator's (the
# Entra ID tests' clients use the default transport, which verifies it).
echo "==> starting orderctx cosmos on 127.0.0.1:$PORT (data in $WORK/data)"
"$WORK/orderctx" cosmos -data "$WORK/data" -consistency Strong -addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 300); do
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "error: server exited early:" >&2
		cat "$WORK/server.log" >&2
		exit 2
	fi
	server_answers && break
	if [[ $i -eq 300 ]]; then
		echo "error: server did not open 127.0.0.1:$PORT within 30s" >&2
		exit 2
	fi
	sleep 0.1
done
echo "    server pid $SERVER_PID is listening"

MOD_SRC=$(go env GOMODCACHE)/github.com/!azure/azure-sdk-for-go/sdk/data/azcosmos@$AZCOSMOS_VERSION
if [[ ! -d $MOD_SRC ]]; then
	echo "==> fetching azcosmos $AZCOSMOS_VERSION into the module cache"
	(cd "$WORK" && GOFLAGS=-mod=mod go mod download "github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos@$AZCOSMOS_VERSION")
fi
echo "==> copying azcosmos $AZCOSMOS_VERSION to $WORK/azcosmos"
cp -R "$MOD_SRC" "$WORK/azcosmos"
chmod -R u+w "$WORK/azcosmos"

cd "$WORK/azcosmos"
export GOWORK=off GOFLAGS=-mod=mod
echo "==> resolving the SDK's own dependencies"
go mod download

echo "==> go test -run '$PATTERN' (log: $LOG)"
set +e
# SSL_CERT_FILE makes Go trust the server's certificate (and nothing else:
# every module is downloaded above).
EMULATOR=1 SSL_CERT_FILE="$WORK/data/cert.pem" go test -v -count=1 -timeout "$TIMEOUT" -run "$PATTERN" "${EXTRA_FLAGS[@]}" ./... 2>&1 | tee "$LOG"
GO_RC=${PIPESTATUS[0]}
set -e

mapfile -t PASSED < <(grep -E '^--- PASS: ' "$LOG" | awk '{print $3}')
mapfile -t FAILED < <(grep -E '^--- FAIL: ' "$LOG" | awk '{print $3}')
mapfile -t SKIPPED < <(grep -E '^--- SKIP: ' "$LOG" | awk '{print $3}')

echo
echo "==================== SDK emulator suite summary ===================="
echo "passed:  ${#PASSED[@]}"
for t in "${PASSED[@]}"; do echo "    PASS  $t"; done
echo "failed:  ${#FAILED[@]}"
for t in "${FAILED[@]}"; do echo "    FAIL  $t"; done
echo "skipped: ${#SKIPPED[@]}"
for t in "${SKIPPED[@]}"; do echo "    SKIP  $t"; done
if grep -qE '^panic: |^FAIL.*\[build failed\]|^FAIL.*\[setup failed\]' "$LOG"; then
	echo "go test reported a panic or build failure - see $LOG"
fi
echo "go test exit status: $GO_RC"
echo "sdk-suite: ${#PASSED[@]} passed, ${#FAILED[@]} failed, ${#SKIPPED[@]} skipped"
echo "full log: $LOG"
echo "server log: ${LOG%.log}.server.log"
echo "===================================================================="

if [[ ${#FAILED[@]} -gt 0 || $GO_RC -ne 0 ]]; then
	exit 1
fi
