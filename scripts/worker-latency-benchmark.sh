#!/usr/bin/env bash
# End-to-end latency of the reference job (Kafka → keyBy → 1 s window sum → Kafka,
# exactly-once) with events written in real time: from a window's end to the last of its sums
# being readable read_committed. Three deployments on one noida-db broker, in the same run:
#   run  one `weir run --follow` process, parallelism 2 (the in-process keyBy: the baseline)
#   co   one `weir worker --co-partitioned --follow` (input partitioned by key, no hop)
#   hop  one `weir worker --follow` (read tasks → repartition topic → window tasks: one hop)
# Input and watcher are scripts/latency_peer.py (confluent-kafka, not Weir's client).
#
#   scripts/worker-latency-benchmark.sh [RATE] [SECONDS] [CHECKPOINT_MS]
#                                       (default 20000 events/s, 30 s, checkpoints every 1000 ms)
#
# Needs a release weir with the Kafka and S3 traits (built here if missing), noida-db and a
# Python with confluent-kafka (WEIR_NOIDA_DB, WEIR_KAFKA_PYTHON, as scripts/test.sh sets them).
# Stops what it started, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."

rate="${1:-20000}"
seconds="${2:-30}"
interval="${3:-1000}"
noida="${WEIR_NOIDA_DB:?set WEIR_NOIDA_DB to the noida-db binary (scripts/kafka-brokers.sh install DIR prints it)}"
python="${WEIR_KAFKA_PYTHON:?set WEIR_KAFKA_PYTHON to a Python with confluent-kafka}"

weir=.build/release/weir
[ -x "$weir" ] || swift build -c release --traits Kafka,S3 --product weir
work="$(mktemp -d /tmp/weir-latency-bench.XXXXXX)"
port=$((30000 + RANDOM % 20000))
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/broker.pid" ] && kill -INT "$(cat "$work/broker.pid")" 2>/dev/null || true
    sleep 1
    rm -rf "$work"
}
trap cleanup EXIT

"$noida" start --data-dir "$work/broker" --host 127.0.0.1 --only kafka --kafka-port "$port" > "$work/broker.log" 2>&1 &
echo $! > "$work/broker.pid"
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
bootstrap="127.0.0.1:$port"

create() {  # an empty 4-partition topic: `weir produce` of one event, far in the past, that no window of the run holds
    "$weir" produce --kafka-bootstrap "$bootstrap" --topic "$1" --partitions 4 --events 1 --keys 1 --partition-by "$2" > /dev/null
}

measure() {  # $1 deployment (run, co, hop): prints the peer's JSON
    local mode="$1" partitioning=round-robin
    [ "$mode" = co ] && partitioning=key
    create "in-$mode" "$( [ "$partitioning" = key ] && echo key || echo round-robin )"
    case "$mode" in
        run) "$weir" run --source kafka --sink kafka --follow --kafka-bootstrap "$bootstrap" --input-topic "in-$mode" --output-topic "out-$mode" \
                 --data-dir "$work/$mode" --parallelism 2 --checkpoint-interval "$interval" --show 0 > "$work/$mode.log" 2>&1 & ;;
        co)  "$weir" worker --co-partitioned --follow --kafka-bootstrap "$bootstrap" --group "lat-$mode" --input-topic "in-$mode" --output-topic "out-$mode" \
                 --checkpoint-dir "$work/$mode" --checkpoint-interval "$interval" > "$work/$mode.log" 2>&1 & ;;
        hop) "$weir" worker --follow --kafka-bootstrap "$bootstrap" --group "lat-$mode" --input-topic "in-$mode" --output-topic "out-$mode" \
                 --checkpoint-dir "$work/$mode" --checkpoint-interval "$interval" > "$work/$mode.log" 2>&1 & ;;
    esac
    local pid=$!
    pids+=("$pid")
    # Ready: the worker has its tasks, the run its first checkpoint (then 3 s more for the sources to reach the input).
    for _ in $(seq 1 300); do
        if [ "$mode" = run ]; then ls "$work/$mode/checkpoints" 2>/dev/null | grep -q chk- && break
        else grep -qs "generation " "$work/$mode.log" && break; fi
        kill -0 "$pid" 2>/dev/null || { cat "$work/$mode.log" >&2; exit 1; }
        sleep 0.1
    done
    sleep 3
    "$python" scripts/latency_peer.py "$bootstrap" "in-$mode" "out-$mode" "$rate" "$seconds" "$partitioning"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    pids=()
}

echo "rate $rate events/s, $seconds s each, checkpoints every $interval ms, $(nproc) cores, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)"
for mode in run co hop; do
    echo "$mode: $(measure "$mode")"
done
