#!/usr/bin/env bash
# Runs Weir's whole test suite on a fresh Debian machine with Swift installed.
# Installs what the tests need and starts and stops the servers they use (none yet: the core
# needs no server; the Kafka and PostgreSQL modules will add theirs here).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== build (debug, all targets)"
swift build --build-tests

echo "== smoke: weir run, weir verify, weir checkpoints"
smoke="$(mktemp -d)"
trap 'rm -rf "$smoke"' EXIT
.build/debug/weir run --data-dir "$smoke/data" --events 200000 --keys 1000 --parallelism 2 --show 3
.build/debug/weir verify --data-dir "$smoke/data"
.build/debug/weir checkpoints list "$smoke/data/checkpoints"

echo "== unit and integration tests"
swift test --skip-build --disable-swift-testing
