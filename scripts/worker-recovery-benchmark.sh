#!/usr/bin/env bash
# Recovery time of a worker task after its worker is SIGKILLed: from the kill to the task's
# first committed output on its new worker.
#
#   scripts/worker-recovery-benchmark.sh [ROUNDS] [SESSION_TIMEOUT_MS]     (default 3 rounds, 6000)
#
# Three `weir worker --co-partitioned` processes share six tasks on a Tansu broker (noida-db never expires a dead
# member's session, so its tasks would never move); each task reads at most 5,000 events a
# second so that the run lasts. The task measured is the first of the killed worker's; since the
# input and output topics have the same partition count and keys, task p writes output
# partition p, and its first committed output after the kill is the first growth of that
# partition's committed records — counted by Peers/marker_reader.py (by the transaction
# markers: Tansu lists no aborted transactions, so librdkafka would count aborted ones).
# Needs WEIR_TANSU and WEIR_KAFKA_PYTHON (scripts/kafka-brokers.sh install DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${1:-3}"
session="${2:-6000}"
tansu="${WEIR_TANSU:?set WEIR_TANSU to the Tansu binary (scripts/kafka-brokers.sh install DIR prints it)}"
python="${WEIR_KAFKA_PYTHON:?set WEIR_KAFKA_PYTHON to a Python 3}"
weir=.build/release/weir
[ -x "$weir" ] || swift build -c release --traits Kafka,S3 --product weir
work="$(mktemp -d /tmp/weir-recovery-bench.XXXXXX)"
pids=()
broker=""
cleanup() {
    for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
    [ -n "$broker" ] && kill -INT "$broker" 2>/dev/null || true
    sleep 1
    rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
committed() { "$python" Tests/WeirKafkaTestSupport/Peers/marker_reader.py "$bootstrap" sums "$1" 2>/dev/null | wc -l; }

for round in $(seq 1 "$rounds"); do
    port=$((30000 + RANDOM % 20000))
    "$tansu" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ > "$work/tansu-$round.log" 2>&1 &
    broker=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    bootstrap="127.0.0.1:$port"
    "$weir" produce --kafka-bootstrap "$bootstrap" --topic clicks --partitions 6 --partition-by key --events 1200000 --keys 10000 > /dev/null
    for i in 1 2 3; do
        "$weir" worker --kafka-bootstrap "$bootstrap" --group recovery --input-topic clicks --output-topic sums --co-partitioned \
            --checkpoint-dir "$work/checkpoints-$round" --checkpoint-interval 1000 --session-timeout "$session" --rate 5000 \
            > "$work/worker-$round-$i.log" 2>&1 &
        pids+=($!)
    done
    until [ "$(cat "$work"/worker-"$round"-*.log 2>/dev/null | grep -c "tasks clicks-" || true)" -ge 3 ]; do sleep 0.1; done
    sleep 5
    task=$(grep "tasks clicks-" "$work/worker-$round-1.log" | tail -1 | sed 's/.*tasks clicks-\([0-9]*\).*/\1/')
    kill -9 "${pids[0]}"
    killed=$(now)
    before=$(committed "$task")
    until [ "$(committed "$task")" -gt "$before" ]; do
        [ "$("$python" -c "print(int($(now) - $killed))")" -lt 120 ] || { echo "task clicks-$task committed nothing for 120 s after the kill" >&2; exit 1; }
        sleep 0.05
    done
    recovered=$(now)
    "$python" -c "print(f'round $round: task clicks-$task committed output {($recovered - $killed):.2f} s after its worker was killed (session timeout $session ms)')"
    for pid in "${pids[@]:1}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    pids=()
    kill -INT "$broker"; wait "$broker" 2>/dev/null || true; broker=""
done
