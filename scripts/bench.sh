#!/usr/bin/env bash
# Benchmarks for every preset:
#  1. the PE: Verilator build time cold (empty cache, Verilator runtime
#     included) and cached, and simulation speed;
#  2. the systolic tile: GEMMs of M=K=N=256 and the small-M (decode) cases
#     M=32, M=16 and M=1 with K=N=256: cycles, utilization, the weight-stream
#     roofline (folds x rows cycles) and the fraction of the binding roofline
#     (max(MAC, weight roofline) / cycles), simulation speed.
#   scripts/bench.sh SERRANO_BINARY PRESET...
set -euo pipefail
serrano=$1; shift
cycles=${BENCH_CYCLES:-2000000}
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
field() { sed -n "s/^  \"$1\": \\(.*\\),\\?$/\\1/p" | tr -d ',"'; }

# Every preset has the same PE (int8 x int8, int32): measure it once.
echo "PE (serrano sim pe --preset $1 --json; cold = empty Verilator cache)"
printf '%-8s %-22s %10s %10s %12s %14s\n' preset top cold_s cached_s cycles cycles_per_s
for p in "$1"; do
    rm -rf "${cache:?}"/*
    cold=$(VERILATOR_SYS_CACHE_DIR=$cache "$serrano" sim pe --preset "$p" --cycles 1000 --json)
    warm=$(VERILATOR_SYS_CACHE_DIR=$cache "$serrano" sim pe --preset "$p" --cycles "$cycles" --json)
    printf '%-8s %-22s %10.2f %10.3f %12s %14.0f\n' "$p" serrano_pe_i8_acc32 \
        "$(echo "$cold" | field build_seconds)" "$(echo "$warm" | field build_seconds)" \
        "$(echo "$warm" | field cycles)" "$(echo "$warm" | field sim_cycles_per_sec)"
done

echo
echo "Systolic tile GEMM (serrano sim gemm --preset P --m M --k K --n N --json)"
printf '%-8s %-7s %5s %5s %5s %10s %12s %11s %15s %17s %14s\n' preset array M K N cycles MACs utilization \
    weight_roofline roofline_fraction cycles_per_s
for p in "$@"; do
    for mkn in "256 256 256" "32 256 256" "16 256 256" "1 256 256"; do
        read -r m k n <<<"$mkn"
        out=$("$serrano" sim gemm --preset "$p" --m "$m" --k "$k" --n "$n" --json)
        printf '%-8s %-7s %5s %5s %5s %10s %12s %11.4f %15s %17.4f %14.0f\n' "$p" "$(echo "$out" | field array)" \
            "$m" "$k" "$n" "$(echo "$out" | field cycles)" "$(echo "$out" | field macs)" \
            "$(echo "$out" | field utilization)" "$(echo "$out" | field weight_roofline_cycles)" \
            "$(echo "$out" | field roofline_fraction)" "$(echo "$out" | field sim_cycles_per_sec)"
    done
done

echo
echo "Softmax unit (serrano sim softmax --preset P --rows 64 --len L --json; L = 4096 or max_len if shorter)"
printf '%-8s %6s %6s %8s %10s %10s %10s %9s %12s %12s\n' preset lanes len cycles el/cycle sustained overhead latency max_err_lsb mean_err_lsb
for p in "$@"; do
    # Rows of 4096, or of the preset's max_len when that is shorter.
    out=$("$serrano" sim softmax --preset "$p" --rows 64 --len 4096 --json 2>/dev/null) ||
        out=$("$serrano" sim softmax --preset "$p" --rows 64 --json)
    printf '%-8s %6s %6s %8s %10.3f %10.3f %10s %9s %12.3f %12.3f\n' "$p" "$(echo "$out" | field lanes)" "$(echo "$out" | field len)" \
        "$(echo "$out" | field cycles)" "$(echo "$out" | field elements_per_cycle)" \
        "$(echo "$out" | field sustained_elements_per_cycle)" "$(echo "$out" | field row_overhead_cycles)" \
        "$(echo "$out" | field latency_cycles)" "$(echo "$out" | field max_err_lsb)" "$(echo "$out" | field mean_err_lsb)"
done
