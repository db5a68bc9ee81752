#!/usr/bin/env bash
# Lint every generated top (listed in each directory's manifest.json) with
# `verilator --lint-only -Wall`: zero warnings allowed. Also reject any `$` in
# a name (only $signed/$unsigned may appear).
set -euo pipefail
status=0
for dir in "$@"; do
    if grep -nP '\$(?!signed\(|unsigned\()' "$dir"/*.v >&2; then
        echo "lint: a name with \$ in $dir" >&2
        status=1
    fi
    for top in $(grep -o '"top": "[^"]*"' "$dir/manifest.json" | cut -d'"' -f4); do
        if ! out=$(verilator --lint-only -Wall --top-module "$top" "$dir"/*.v 2>&1) || [ -n "$out" ]; then
            echo "lint: $top in $dir has warnings:" >&2
            echo "$out" >&2
            status=1
        else
            echo "lint-verilog: $top ($dir) is clean under verilator -Wall"
        fi
    done
done
exit $status
