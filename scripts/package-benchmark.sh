#!/usr/bin/env bash
# Weir as a versioned dependency, measured: the job in Benchmarks/UserJob built twice from the
# same source — inside this repository (`weir-user-job`) and as a separate package that
# depends on a clone of this repository tagged 0.1.0, by version, the way a user's package
# does — and run alternately in one invocation. Prints the rows for BENCHMARKS.md and fails if
# the two builds compute different results.
#
#   scripts/package-benchmark.sh [EVENTS] [ROUNDS]     (defaults: 10000000 events, 5 rounds)
#
# The clone holds what is committed (HEAD), not uncommitted changes. Needs nothing but Swift
# and git; everything it makes lives in a temporary directory that it removes.
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-10000000}"
rounds="${2:-5}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== a clone of HEAD ($(git rev-parse --short HEAD)) tagged 0.1.0"
git clone -q --no-local . "$work/weir"
git -C "$work/weir" tag -l | xargs -r git -C "$work/weir" tag -d >/dev/null
git -C "$work/weir" tag 0.1.0

echo "== the user's package, outside the repository, depending on Weir from: 0.1.0"
cp -R Benchmarks/UserJob "$work/user"
rm -rf "$work/user/.build"
(cd "$work/user" && WEIR_PACKAGE_URL="file://$work/weir" swift build -c release 2>&1 | grep -E "error|warning: unsafe|Compiling Weir |Build complete" || true)
versioned="$work/user/.build/release/WeirUserJob"
[ -x "$versioned" ] || { echo "package-benchmark.sh: the package that depends on Weir by version did not build" >&2; exit 1; }
grep -q '"version" : "0.1.0"' "$work/user/Package.resolved" || { echo "package-benchmark.sh: Weir was not resolved by version" >&2; cat "$work/user/Package.resolved" >&2; exit 1; }

echo "== the same job inside the repository"
swift build -c release --product weir-user-job 2>&1 | grep -E "error|Build complete" || true
inside=".build/release/weir-user-job"

rate() { sed -n 's/.*events_per_second=\([0-9]*\).*/\1/p' <<<"$1"; }
result() { sed -n 's/.*\(windows=[0-9]* checksum=-*[0-9]*\).*/\1/p' <<<"$1"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for parallelism in 1 2; do
    inside_rates=(); versioned_rates=(); ratios=()
    for round in $(seq 1 "$rounds"); do
        # Alternate which goes first, so that neither always meets a warmer machine.
        if [ $((round % 2)) -eq 1 ]; then order=(inside versioned); else order=(versioned inside); fi
        for which in "${order[@]}"; do
            binary="$inside"; [ "$which" = versioned ] && binary="$versioned"
            out="$("$binary" --events "$events" --parallelism "$parallelism")"
            echo "round $round, parallelism $parallelism, $which: $out" >&2
            declare "${which}_out=$out"
        done
        [ "$(result "$inside_out")" = "$(result "$versioned_out")" ] || { echo "package-benchmark.sh: the two builds computed different results" >&2; exit 1; }
        inside_rates+=("$(rate "$inside_out")"); versioned_rates+=("$(rate "$versioned_out")")
        ratios+=("$(awk -v a="$(rate "$versioned_out")" -v b="$(rate "$inside_out")" 'BEGIN { printf "%.3f", a / b }')")
    done
    inside_median="$(printf '%s\n' "${inside_rates[@]}" | median)"
    versioned_median="$(printf '%s\n' "${versioned_rates[@]}" | median)"
    ratio_median="$(printf '%s\n' "${ratios[@]}" | median)"
    printf '| window (user job) | %d | %.2f M | %.2f M | %.2f |\n' "$parallelism" \
        "$(awk -v r="$inside_median" 'BEGIN { print r / 1e6 }')" "$(awk -v r="$versioned_median" 'BEGIN { print r / 1e6 }')" "$ratio_median" >> "$work/rows"
done

echo
echo "| job | parallelism | events/s inside the repository (median of $rounds) | events/s as a dependency by version (median of $rounds) | ratio (median of per-round ratios) |"
echo "|---|---|---|---|---|"
cat "$work/rows"
