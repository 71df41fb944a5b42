#!/usr/bin/env python3
"""Lists the public symbols of a DocC archive that have no documentation of their own or
inherited (run after `generate-documentation --experimental-documentation-coverage`).

Not counted: what DocC makes up rather than the source declares — articles (their abstract is
their first paragraph), pages of extended standard-library types, the "… Implementations"
groups, and the members the compiler synthesizes (==, !=, hash(into:), hashValue, Codable,
RawRepresentable and literal initializers, actor isolation checks, range operators of
Comparable types).

    scripts/undocumented-symbols.py ARCHIVE...    exits 1 if any symbol is undocumented
"""
import json, re, sys

SYNTHESIZED = re.compile(r"^(==|!=|<=|>=|<|>|\.\.\.|\.\.<)\(|^(hashValue|hash\(into:\)|init\(from:\)|encode\(to:\)|init\(rawValue:\)|"
                         r"rawValue|localizedDescription|assumeIsolated|preconditionIsolated|assertIsolated|withSerialExecutor|"
                         r"init\(unicodeScalarLiteral:\)|init\(extendedGraphemeClusterLiteral:\)|unownedExecutor)")
missing = []
for archive in sys.argv[1:]:
    with open(f"{archive}/documentation-coverage.json") as file:
        for entry in json.load(file):
            kind = entry["kind"]["name"]
            title = entry["title"]
            if entry.get("hasAbstract", True) or kind == "Article" or kind.startswith("Extended ") \
                    or title.endswith(" Implementations") or SYNTHESIZED.match(title):
                continue
            missing.append(entry["referencePath"].split("/documentation/", 1)[-1])
for path in sorted(missing):
    print(f"undocumented: {path}")
sys.exit(1 if missing else 0)
