#!/usr/bin/env bash
# Synthesize every generated top (listed in each directory's manifest.json)
# with Yosys and fail on any latch. Runs `synth` up to its fine stage
# (hierarchy, proc, opt, wreduce, alumacc, share, memory -nomap): latches are
# made by `proc`, and stopping before memory mapping keeps block RAMs as
# memories, so the check takes seconds. Prints each top's coarse cell count
# (word-level cells, not an area estimate).
set -euo pipefail
status=0
for dir in "$@"; do
    for top in $(grep -o '"top": "[^"]*"' "$dir/manifest.json" | cut -d'"' -f4); do
        log=$(mktemp)
        if yosys -q -l "$log" -p "read_verilog $(ls "$dir"/*.v | tr '\n' ' '); synth -top $top -run :fine; \
            select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*; \
            tee -o /dev/stdout stat -top $top" >"$log.stat" 2>&1; then
            cells=$(sed -n '/design hierarchy/,$p' "$log.stat" | grep -m1 'Number of cells' | awk '{print $4}')
            [ -n "$cells" ] || cells=$(grep -m1 'Number of cells' "$log.stat" | awk '{print $4}')
            echo "check-synth: $top ($dir) synthesizes with no latch ($cells coarse cells)"
        else
            echo "check-synth: $top in $dir failed (latch or synthesis error):" >&2
            tail -n 20 "$log" "$log.stat" >&2
            status=1
        fi
        rm -f "$log" "$log.stat"
    done
done
exit $status
