#!/usr/bin/env bash
# Throughput of the reference job (Kafka → keyBy → 1 s window sum → Kafka, exactly-once) as
# 1, 2 and 3 `weir worker` processes against the same job as one `weir run` process — the
# baseline, measured in the same run on the same input topic of one noida-db broker. The
# workers run the job twice: co-partitioned (--co-partitioned: one task per input partition,
# the input is partitioned by key) and with its repartition hop (read tasks write each event
# to the repartition topic in transactions, window tasks read it) — the hop's cost.
#
#   scripts/worker-benchmark.sh [EVENTS] [ROUNDS]        (default 1000000 events, 2 rounds)
#
# Needs a release weir with the Kafka and S3 traits (built here if missing) and noida-db
# (scripts/kafka-brokers.sh install DIR; WEIR_NOIDA_DB, WEIR_KAFKA_PYTHON as the test command
# sets them). Checkpoints go to a local directory (every 1 s). Time is from the processes'
# start to the last task's end (bounded input: each task stops at its partition's end), so it
# includes joining the group. Each run's committed output is read read_committed by
# confluent-kafka and must equal the baseline's rows, or the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."

events="${1:-1000000}"
rounds="${2:-2}"
partitions=6
noida="${WEIR_NOIDA_DB:?set WEIR_NOIDA_DB to the noida-db binary (scripts/kafka-brokers.sh install DIR prints it)}"
python="${WEIR_KAFKA_PYTHON:?set WEIR_KAFKA_PYTHON to a Python with confluent-kafka}"

weir=.build/release/weir
[ -x "$weir" ] || swift build -c release --traits Kafka,S3 --product weir
work="$(mktemp -d /tmp/weir-worker-bench.XXXXXX)"
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
"$weir" produce --kafka-bootstrap "$bootstrap" --topic clicks --partitions "$partitions" --partition-by key --events "$events" --keys 10000 > /dev/null

rows() {  # the committed rows of topic $1 (every partition), sorted
    local count
    count=$("$python" -c "import confluent_kafka as c, sys; print(len(c.Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'count'}).list_topics(sys.argv[2], timeout=10).topics[sys.argv[2]].partitions))" "$bootstrap" "$1")
    for p in $(seq 0 $((count - 1))); do
        "$python" Tests/WeirKafkaTestSupport/Peers/confluent_peer.py consume "$bootstrap" "$1" "$p" 100000000 read_committed
    done | "$python" -c 'import json,sys; print("\n".join(sorted(json.loads(l)["value"] for l in sys.stdin if l.strip())))'
}

now() { date +%s.%N; }

# Each measurement sets $start and $end (no subshell: the cleanup must know the workers' pids).
baseline() {  # round $1: one `weir run` process, parallelism 2
    local dir="$work/run-$1" topic="sums-run-$1"
    start=$(now)
    "$weir" run --source kafka --sink kafka --kafka-bootstrap "$bootstrap" --input-topic clicks --output-topic "$topic" \
        --data-dir "$dir" --parallelism 2 --checkpoint-interval 1000 > "$dir.log" 2>&1
    end=$(now)
}

workers() {  # $1 workers, round $2, mode $3 (co: --co-partitioned, hop: with the repartition hop)
    local count="$1" group="bench-$1-$2-$3" topic="sums-$1w-$2-$3" ended tasks=$partitions flags=()
    if [ "$3" = co ]; then flags=(--co-partitioned); else tasks=$((2 * partitions)); fi
    start=$(now)
    for i in $(seq 1 "$count"); do
        "$weir" worker --kafka-bootstrap "$bootstrap" --group "$group" --input-topic clicks --output-topic "$topic" \
            --checkpoint-dir "$work/$group" --checkpoint-interval 1000 "${flags[@]}" > "$work/$group-$i.log" 2>&1 &
        pids+=($!)
    done
    while :; do
        ended=$(cat "$work/$group"-*.log 2>/dev/null | grep -c "ended (its input" || true)
        [ "$ended" -ge "$tasks" ] && break
        if grep -qs "^Error" "$work/$group"-*.log; then cat "$work/$group"-*.log >&2; exit 1; fi
        sleep 0.05
    done
    end=$(now)
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    pids=()
}

rate() { "$python" -c "import sys; print(round($events / ($2 - $1)))"; }

declare -A results
for round in $(seq 1 "$rounds"); do
    baseline "$round"; results[run,$round]=$(rate "$start" "$end")
    expected="$(rows "sums-run-$round")"
    [ -n "$expected" ] || { echo "the baseline committed nothing" >&2; exit 1; }
    for mode in co hop; do
        for count in 1 2 3; do
            workers "$count" "$round" "$mode"; results[$count,$round,$mode]=$(rate "$start" "$end")
            [ "$(rows "sums-${count}w-$round-$mode")" == "$expected" ] || { echo "$count workers ($mode), round $round: output differs from the baseline's" >&2; exit 1; }
        done
        echo "round $round: weir run ${results[run,$round]} events/s; $mode: 1 worker ${results[1,$round,$mode]}, 2 workers ${results[2,$round,$mode]}, 3 workers ${results[3,$round,$mode]}"
    done
done
echo "rows per run: $(echo "$expected" | wc -l) (every run's output equals the baseline's)"
for mode in co hop; do
    for count in 1 2 3; do
        ratios=""
        for round in $(seq 1 "$rounds"); do
            ratios+="$("$python" -c "print(round(${results[$count,$round,$mode]} / ${results[run,$round]}, 2))") "
        done
        echo "$count worker(s), $mode / weir run: $ratios"
    done
done
