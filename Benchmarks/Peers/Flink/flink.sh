#!/usr/bin/env bash
# Apache Flink as a benchmark peer of Weir.
#
#   flink.sh setup        install Flink's jars from PyPI into a virtualenv and compile the job
#   flink.sh run ARGS...  run FlinkPeerJob in Flink's local mini-cluster (sets up first if needed)
#
# FLINK_PEER_JAVA_OPTS adds JVM options, e.g. a profile with Java Flight Recorder:
#   FLINK_PEER_JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/flink.jfr flink.sh run ...
#   jfr print --events jdk.ExecutionSample /tmp/flink.jfr
# The virtualenv and the compiled classes live outside the source tree, in
# $WEIR_PEERS_DIR (default ~/.cache/weir-peers). Only apache-flink-libraries is installed: it
# ships Flink's jars; the Python API (apache-flink, with apache-beam and pyarrow) is not used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=2.3.0
peers="${WEIR_PEERS_DIR:-$HOME/.cache/weir-peers}"
venv="$peers/flink-$version"
jars="$venv/lib/python3.11/site-packages/pyflink/lib"
classes="$venv/classes"

setup() {
    command -v javac >/dev/null || { echo "flink.sh: javac (Java 17) is needed: apt-get install openjdk-17-jdk-headless" >&2; exit 1; }
    if [ ! -f "$venv/.installed" ]; then
        echo "flink.sh: installing apache-flink-libraries $version into $venv (about 230 MB)" >&2
        mkdir -p "$peers"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "apache-flink-libraries==$version"
        touch "$venv/.installed"
    fi
    jars="$(echo "$venv"/lib/python3*/site-packages/pyflink/lib)"
    local source="$here/src/weir/peers/FlinkPeerJob.java"
    if [ ! -f "$classes/weir/peers/FlinkPeerJob.class" ] || [ "$source" -nt "$classes/weir/peers/FlinkPeerJob.class" ]; then
        echo "flink.sh: compiling $source" >&2
        rm -rf "$classes"
        mkdir -p "$classes"
        javac -nowarn -XDsuppressNotes -Xlint:-deprecation -Xlint:-options --release 17 -cp "$jars/*" -d "$classes" "$source"
    fi
}

case "${1:-}" in
    setup)
        setup
        ;;
    run)
        shift
        setup
        # The module openings Flink's own launcher passes on Java 17.
        # shellcheck disable=SC2086 # FLINK_PEER_JAVA_OPTS is a list of options
        exec java ${FLINK_PEER_JAVA_OPTS:-} \
            --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
            --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
            --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
            --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED \
            --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
            --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED \
            --add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED \
            -Dlog4j.configurationFile="$here/log4j2.properties" \
            -cp "$classes:$jars/*" weir.peers.FlinkPeerJob "$@"
        ;;
    *)
        echo "usage: flink.sh setup | flink.sh run --job window|window-checkpointed|window-file-sink|running-sum|running-sum-checkpointed --parallelism N --events N --keys N [--directory DIR] [--restore-at N]" >&2
        exit 2
        ;;
esac
