#!/usr/bin/env bash
# Kafka-compatible brokers for WeirKafka's tests, from PyPI, in a virtualenv.
#
#   scripts/kafka-brokers.sh install DIR   installs noida-db 0.2.3 and confluent-kafka (the
#                                          interoperability peer; its wheel bundles librdkafka)
#                                          into DIR/venv and prints the path of noida-db's broker
#                                          binary (the tests start one broker per test from it,
#                                          each with its own port and data directory, and stop it
#                                          by its pid); DIR/venv/bin/python runs confluent-kafka
set -euo pipefail
case "${1:-}" in
    install)
        dir="$2"
        if [ ! -x "$dir/venv/bin/python" ]; then
            python3 -m venv "$dir/venv" >&2
        fi
        "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "noida-db==0.2.3" "confluent-kafka==2.*" >&2
        # The package's `noida-db` command forks the broker; the tests run the binary itself.
        binary="$(echo "$dir"/venv/lib/python3*/site-packages/noida_db/noida-db)"
        [ -x "$binary" ] || { echo "kafka-brokers.sh: no noida-db binary at $binary" >&2; exit 1; }
        echo "$binary"
        ;;
    *)
        echo "usage: scripts/kafka-brokers.sh install DIR" >&2
        exit 2
        ;;
esac
