#!/usr/bin/env bash
# PE benchmarks for every preset: Verilator build time cold (empty cache,
# Verilator runtime included) and cached, and simulation speed.
#   scripts/bench.sh SERRANO_BINARY PRESET...
set -euo pipefail
serrano=$1; shift
cycles=${BENCH_CYCLES:-2000000}
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
field() { sed -n "s/^  \"$1\": \\(.*\\),\\?$/\\1/p" | tr -d ','; }
printf '%-8s %-22s %10s %10s %12s %14s\n' preset top cold_s cached_s cycles cycles_per_s
for p in "$@"; do
    rm -rf "${cache:?}"/*
    cold=$(VERILATOR_SYS_CACHE_DIR=$cache "$serrano" sim pe --preset "$p" --cycles 1000 --json)
    warm=$(VERILATOR_SYS_CACHE_DIR=$cache "$serrano" sim pe --preset "$p" --cycles "$cycles" --json)
    top=$("$serrano" verilog --preset "$p" --out "$cache/v" --json | field top | tr -d '"')
    printf '%-8s %-22s %10.2f %10.3f %12s %14.0f\n' "$p" "$top" \
        "$(echo "$cold" | field build_seconds)" "$(echo "$warm" | field build_seconds)" \
        "$(echo "$warm" | field cycles)" "$(echo "$warm" | field sim_cycles_per_sec)"
done
