#!/usr/bin/env bash
# Keyed state several times larger than the memory the job may use: JOB over KEYS keys (two
# events per key) in a memory cgroup limited to LIMIT_MB, on the RocksDB backend with
# incremental checkpoints — it must run to the end with exact results (weir-bench state-single
# --verify, against figures computed from the generator alone) — and, as the control that shows
# the limit bites, on the heap backend, which the kernel must stop.
#
#   scripts/bounded-memory.sh [KEYS] [LIMIT_MB] [JOB]   (default 20000000 keys, 512 MB,
#                                                        running-sum; needs root)
#   JOB: running-sum (a sum per key; --verify: as many running sums as events, and their sum)
#        or window (one-second event-time windows, two events per key each, so about KEYS
#        windows and their timers are open at once; --verify: as many window sums as
#        (key, window) pairs the input has, and their sum)
#
# Uses cgroup v2 (memory.max) or v1 (memory.limit_in_bytes), whichever the machine has; the
# cgroup is removed at the end. Prints a table row per backend: exit, peak memory of the cgroup,
# peak RSS, the largest checkpoint (the whole state, as RocksDB's files hold it), throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
keys="${1:-20000000}"
limit_mb="${2:-512}"
job="${3:-running-sum}"
case "$job" in running-sum|window) ;; *) echo "bounded-memory.sh: JOB is running-sum or window, not '$job'" >&2; exit 2 ;; esac
events=$(( keys * 2 ))

# WEIR_BENCH: an already built weir-bench (with the RocksDB trait) instead of building one.
bench="${WEIR_BENCH:-}"
if [ -z "$bench" ]; then
    swift build -c release --traits RocksDB --product weir-bench >&2
    bench="$(swift build -c release --traits RocksDB --product weir-bench --show-bin-path)/weir-bench"
fi

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    version=2; cgroup="/sys/fs/cgroup/weir-bounded-$$"
elif [ -d /sys/fs/cgroup/memory ]; then
    version=1; cgroup="/sys/fs/cgroup/memory/weir-bounded-$$"
else
    echo "bounded-memory.sh: no memory cgroup on this machine" >&2; exit 2
fi
work="$(mktemp -d)"
cleanup() {
    rmdir "$cgroup" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir "$cgroup"
if [ "$version" = 2 ]; then
    echo $(( limit_mb << 20 )) > "$cgroup/memory.max"
    echo 0 > "$cgroup/memory.swap.max" 2>/dev/null || true
else
    echo $(( limit_mb << 20 )) > "$cgroup/memory.limit_in_bytes"
    echo $(( limit_mb << 20 )) > "$cgroup/memory.memsw.limit_in_bytes" 2>/dev/null || true
fi

echo "| job | backend | keys | events | memory limit | exit | cgroup peak | peak RSS | largest checkpoint (whole state) | events/s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for backend in rocksdb:16384 heap; do
    rm -rf "$work/run"
    [ "$version" = 1 ] && echo 0 > "$cgroup/memory.max_usage_in_bytes" 2>/dev/null || true
    status=0
    # The shell joins the cgroup, then becomes weir-bench: every byte it allocates counts.
    sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$cgroup" "$bench" state-single --job "$job" --backend "$backend" \
        --keys "$keys" --events "$events" --parallelism 2 --checkpoint-interval 2000 --directory "$work/run" --verify \
        > "$work/out.json" 2> "$work/err.txt" || status=$?
    if [ "$version" = 2 ]; then peak=$(cat "$cgroup/memory.peak" 2>/dev/null || echo 0); else peak=$(cat "$cgroup/memory.max_usage_in_bytes"); fi
    line="$(grep '^{' "$work/out.json" | tail -1 || true)"
    if [ "$status" -eq 0 ] && [ -n "$line" ]; then
        python3 - "$line" "$backend" "$keys" "$events" "$limit_mb" "$peak" "$job" <<'EOF'
import json, sys
m = json.loads(sys.argv[1]); backend, keys, events, limit, peak, job = sys.argv[2:8]
print(f"| {job} | {backend} | {int(keys):,} | {int(events):,} | {limit} MB | 0 (results exact) | {int(peak) >> 20} MB | {m['peakRSSKilobytes'] >> 10} MB "
      f"| {m['largestStateSize'] / 1e6:.0f} MB | {m['events'] / m['seconds'] / 1e3:.0f} k |")
EOF
    else
        why="$(tail -c 300 "$work/err.txt" | tr '\n' ' ')"
        [ "$status" -eq 137 ] && why="killed by the kernel (out of memory in the cgroup) $why"
        echo "| $job | $backend | $keys | $events | ${limit_mb} MB | $status: $why | $(( peak >> 20 )) MB | – | – | – |"
    fi
done
