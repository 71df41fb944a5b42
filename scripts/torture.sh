#!/usr/bin/env bash
# The whole exactly-once conformance matrix with many kills — too long for CI, run before
# resolving an issue that touches recovery. Every case (source × sink × parallelism change ×
# fault) is run by `weir` under the fault and checked by the independent checker of
# Tests/WeirCommandTests/Conformance against results computed from the raw input.
#
#   scripts/torture.sh [KILLS_PER_CASE] [all|processes|workers]
#       KILLS_PER_CASE: default 84: 12 random-kill cases × 84 ≈ 1,000 kills, plus the crash-point
#       and damaged-checkpoint cases; the worker rows (`weir worker` processes across the
#       repartition hop, on Tansu) get an eighth of it per case (a worker's fault costs a
#       session timeout and a rebalance), and a third of that in pauses (zombies).
#       processes / workers: only those rows (default all); rocksdb: only the process rows
#       with the window state in RocksDB (incremental and full checkpoints).
#
# Installs the Kafka brokers and rclone and starts a PostgreSQL server (stopped at the end) as the test command does, builds the tests, runs the matrix, and
# prints (and writes to .build/torture-table.md) a table of cases, kills and lost, duplicated
# and wrong rows. Stops the brokers it started (each test stops its own by pid).
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-84}"
rows="${2:-all}"
case "$rows" in
    all) filter="ExactlyOnceConformanceTests/testWholeMatrix" ;;
    processes) filter="ExactlyOnceConformanceTests/testWholeMatrix$" ;;
    workers) filter="ExactlyOnceConformanceTests/testWholeMatrixOfWorkers" ;;
    rocksdb) filter="ExactlyOnceConformanceTests/testWholeMatrix$"; export WEIR_CONFORMANCE_STATE=rocksdb ;;
    *) echo "torture.sh: rows are all, processes, workers or rocksdb, not '$rows'" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
cleanup() {
    scripts/postgres-server.sh stop "$work/postgres" || true
    rm -rf "$work"
}
trap cleanup EXIT

if ! dpkg -s zlib1g-dev librocksdb-dev >/dev/null 2>&1; then
    apt-get install -y -q zlib1g-dev librocksdb-dev || { apt-get update -q && apt-get install -y -q zlib1g-dev librocksdb-dev; }
fi
{ read -r WEIR_NOIDA_DB; read -r WEIR_TANSU; } < <(scripts/kafka-brokers.sh install "$work/kafka")
export WEIR_NOIDA_DB WEIR_TANSU WEIR_KAFKA_PYTHON="$work/kafka/venv/bin/python" WEIR_REQUIRE_KAFKA=1
WEIR_POSTGRES_URL="$(scripts/postgres-server.sh start "$work/postgres" 64)"
export WEIR_POSTGRES_URL WEIR_POSTGRES_DIR="$work/postgres" WEIR_REQUIRE_POSTGRES=1
# The Kafka cases run once more with their checkpoints on S3 (rclone serve s3, one per case).
WEIR_RCLONE="$(scripts/s3-server.sh install "$work/s3")"
export WEIR_RCLONE WEIR_REQUIRE_S3=1

swift build --build-tests --traits Kafka,Postgres,S3,RocksDB

table="$work/table.md"
export WEIR_CONFORMANCE_FULL=1 WEIR_CONFORMANCE_KILLS="$kills" WEIR_CONFORMANCE_TABLE="$table"
started=$(date +%s)
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Tests Package.swift || echo ' with uncommitted changes')"  # what was built
status=0
swift test --skip-build --disable-swift-testing --filter "$filter" 2>&1 | tee "$work/torture.log" | grep -E "error:|Test Case|Executed|conformance:" || status=$?
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
elapsed=$(( $(date +%s) - started ))

{
    echo "| source | sink | parallelism | fault | kills | server restarts | expected rows | lost \| duplicated \| wrong |"
    echo "|---|---|---|---|---|---|---|---|"
    cat "$table" 2>/dev/null || true
    total=$(awk -F'|' '{ s += $6 } END { print s + 0 }' "$table" 2>/dev/null || echo 0)
    echo
    restarts=$(awk -F'|' '{ s += $7 } END { print s + 0 }' "$table" 2>/dev/null || echo 0)
    echo "$total SIGKILLs and $restarts server restarts in all, ${elapsed} s, $(nproc) cores, $(date -u +%Y-%m-%d), commit $commit"
} | tee .build/torture-table.md
if [ "$status" -ne 0 ]; then
    echo "== what failed"
    grep -E "error: " "$work/torture.log" | cut -c1-800 || true
fi
exit "$status"
