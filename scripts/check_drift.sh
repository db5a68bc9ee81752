#!/usr/bin/env bash
# Regenerate every preset into a scratch directory and compare it with the
# committed verilog_out/. Any difference means verilog_out/ is stale: run `make`.
set -euo pipefail
serrano=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for p in "$@"; do
    "$serrano" verilog --preset "$p" --out "$tmp/$p" --json >/dev/null
    if ! diff -r "verilog_out/$p" "$tmp/$p" >"$tmp/$p.diff" 2>&1; then
        echo "drift: verilog_out/$p differs from what the generator produces now:" >&2
        head -40 "$tmp/$p.diff" >&2
        status=1
    fi
done
# A directory in verilog_out/ without a preset is stale too.
for d in verilog_out/*/; do
    p=$(basename "$d")
    [[ " $* " == *" $p "* ]] || { echo "drift: verilog_out/$p has no preset in configs/" >&2; status=1; }
done
[ $status -eq 0 ] && echo "check-drift: verilog_out/ matches the generator for: $*"
exit $status
