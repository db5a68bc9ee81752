#!/usr/bin/env bash
# DMA bus utilization (data beats / cycles from the first address handshake
# to the last data or response beat) against transfer size and memory
# latency, for every preset given, from `serrano sim dma`. Each figure is a
# run of back-to-back transfers of that size (at least 16384 data beats) on an
# ideal memory; every run is also checked against golden and the AXI
# protocol monitor (a failure stops the script).
#   scripts/bench_dma.sh SERRANO_BINARY PRESET...
set -euo pipefail
serrano=$1; shift
sizes=${BENCH_DMA_SIZES:-"64 256 1024 4096 16384 65536 262144 1048576"}
latencies=${BENCH_DMA_LATENCIES:-"10 100 300"}
field() { sed -n "s/^  \"$1\": \\(.*\\),\\?$/\\1/p" | tr -d ','; }
run() { # run PRESET BYTES LATENCY PATTERN DIRECTION -> utilization ("-" if not applicable)
    local out rc=0
    out=$("$serrano" sim dma --preset "$1" --bytes "$2" --latency "$3" --pattern "$4" --direction "$5" --json 2>/dev/null) || rc=$?
    case $rc in
        0) printf '%.4f' "$(echo "$out" | field bus_utilization)" ;;
        2) printf -- '-' ;; # e.g. a paged transfer larger than the page table
        *) echo "bench_dma: serrano sim dma --preset $1 --bytes $2 --latency $3 --pattern $4 --direction $5 failed" >&2
           exit 1 ;;
    esac
}
for p in "$@"; do
    echo "DMA bus utilization, preset $p (linear transfers, back to back)"
    printf '%-6s %9s' direction bytes
    for l in $latencies; do printf ' %9s' "lat=$l"; done
    echo
    for d in read write copy; do
        for s in $sizes; do
            printf '%-6s %9s' "$d" "$s"
            for l in $latencies; do
                u=$(run "$p" "$s" "$l" linear "$d") # assignment: a failed run stops the script
                printf ' %9s' "$u"
            done
            echo
        done
    done
    echo
    echo "Patterns, preset $p, latency 100 (paged: 4 KiB pages; copy: pattern on the source)"
    printf '%-6s %9s %9s %9s %9s\n' direction bytes linear 2d paged
    for d in read write copy; do
        for s in 4096 65536 1048576; do
            a=$(run "$p" "$s" 100 linear "$d")
            b=$(run "$p" "$s" 100 2d "$d")
            c=$(run "$p" "$s" 100 paged "$d")
            printf '%-6s %9s %9s %9s %9s\n' "$d" "$s" "$a" "$b" "$c"
        done
    done
    echo
done
