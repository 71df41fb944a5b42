#!/usr/bin/env bash
# Runs Weir's whole test suite on a fresh Debian machine with Swift installed.
# Installs what the tests need and starts and stops the servers they use (none yet: the core
# needs no server; the Kafka and PostgreSQL modules will add theirs here).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== build (debug, all targets)"
swift build --build-tests

echo "== smoke: weir run"
.build/debug/weir run --events 200000 --keys 1000 --parallelism 2 --show 3

echo "== unit and integration tests"
swift test --skip-build --disable-swift-testing
