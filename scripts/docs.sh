#!/usr/bin/env bash
# Builds the DocC documentation of Weir, WeirKafka, WeirPostgres, WeirS3 and WeirRocksDB with swift-docc-plugin
# (`swift package generate-documentation`) and fails on any documentation warning — a broken
# symbol link, an ambiguous reference, a missing article. Default implementations inherited
# from another module (a connector's `close()` from Weir's protocol extension) show that
# module's documentation (`--enable-inherited-docs`). It also fails on a public symbol without
# documentation (scripts/undocumented-symbols.py). Archives land in
# .build/plugins/Swift-DocC/outputs/<Target>.doccarchive.
#
#   scripts/docs.sh [--coverage]    (--coverage also prints DocC's coverage summary, which counts pages
#                                    DocC synthesizes; scripts/undocumented-symbols.py says what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
summary=false
[ "${1:-}" = "--coverage" ] && summary=true
# Coverage data for every build: scripts/undocumented-symbols.py fails on any public symbol
# without documentation.
coverage=(--experimental-documentation-coverage --coverage-summary-level brief)
status=0
for target in Weir WeirKafka WeirPostgres WeirS3 WeirRocksDB; do
    log="$(mktemp)"
    swift package --disable-sandbox generate-documentation --target "$target" --enable-inherited-docs "${coverage[@]}" >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
    # DocC's own diagnostics start the line; the compiler's (while it builds symbol graphs) name a file.
    # (Not SwiftPM's notes on a dependency's stray files: "'swift-distributed-tracing': found 1 file(s) which are unhandled".)
    warnings="$(grep -v "^warning: '[^']*': found [0-9]* file(s) which are unhandled" "$log" | grep -A4 '^warning:' || true)"
    if [ -n "$warnings" ]; then
        echo "== $target: documentation warnings"; echo "$warnings"; status=1
    else
        echo "== $target: documentation built, no warnings"
    fi
    if $summary; then grep -E "^(Types|Members|Globals) " "$log"; fi
    rm -f "$log"
    if ! scripts/undocumented-symbols.py ".build/plugins/Swift-DocC/outputs/$target.doccarchive"; then
        echo "== $target: public symbols without documentation (above)"; status=1
    fi
done
exit "$status"
