#!/usr/bin/env bash
# Builds the DocC documentation of Weir, WeirKafka and WeirPostgres with swift-docc-plugin
# (`swift package generate-documentation`) and fails on any documentation warning — a broken
# symbol link, an ambiguous reference, a missing article. Archives land in
# .build/plugins/Swift-DocC/outputs/<Target>.doccarchive.
#
#   scripts/docs.sh [--coverage]    (--coverage also prints how much of each module's public API is documented)
set -euo pipefail
cd "$(dirname "$0")/.."
coverage=()
[ "${1:-}" = "--coverage" ] && coverage=(--experimental-documentation-coverage --coverage-summary-level brief)
status=0
for target in Weir WeirKafka WeirPostgres; do
    log="$(mktemp)"
    swift package --disable-sandbox generate-documentation --target "$target" "${coverage[@]}" >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
    # DocC's own diagnostics start the line; the compiler's (while it builds symbol graphs) name a file.
    warnings="$(grep -A4 '^warning:' "$log" || true)"
    if [ -n "$warnings" ]; then
        echo "== $target: documentation warnings"; echo "$warnings"; status=1
    else
        echo "== $target: documentation built, no warnings"
    fi
    [ ${#coverage[@]} -gt 0 ] && grep -E "^(Types|Members|Globals) " "$log"
    rm -f "$log"
done
exit "$status"
