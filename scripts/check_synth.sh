#!/usr/bin/env bash
# Synthesize every generated top with Yosys (generic `synth`) and fail on any
# latch. Prints the cell count of each top.
set -euo pipefail
status=0
for dir in "$@"; do
    top=$(sed -n 's/^  "top": "\([^"]*\)".*/\1/p' "$dir/manifest.json")
    log=$(mktemp)
    if yosys -q -l "$log" -p "read_verilog $(ls "$dir"/*.v | tr '\n' ' '); synth -top $top; \
        select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*; \
        tee -o /dev/stdout stat -top $top" >"$log.stat" 2>&1; then
        cells=$(sed -n '/design hierarchy/,$p' "$log.stat" | grep -m1 'Number of cells' | awk '{print $4}')
        echo "check-synth: $top ($dir) synthesizes with no latch ($cells generic cells, memories as flip-flops)"
    else
        echo "check-synth: $top in $dir failed (latch or synthesis error):" >&2
        tail -20 "$log" "$log.stat" >&2
        status=1
    fi
    rm -f "$log" "$log.stat"
done
exit $status
