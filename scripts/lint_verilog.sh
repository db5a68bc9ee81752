#!/usr/bin/env bash
# Lint every generated top with `verilator --lint-only -Wall`: zero warnings
# allowed. Also reject any `$` in a name (only $signed/$unsigned may appear).
set -euo pipefail
status=0
for dir in "$@"; do
    top=$(sed -n 's/^  "top": "\([^"]*\)".*/\1/p' "$dir/manifest.json")
    if ! out=$(verilator --lint-only -Wall --top-module "$top" "$dir"/*.v 2>&1) || [ -n "$out" ]; then
        echo "lint: $top in $dir has warnings:" >&2
        echo "$out" >&2
        status=1
    fi
    if grep -nP '\$(?!signed\(|unsigned\()' "$dir"/*.v >&2; then
        echo "lint: a name with \$ in $dir" >&2
        status=1
    fi
    [ $status -eq 0 ] && echo "lint-verilog: $top ($dir) is clean under verilator -Wall"
done
exit $status
