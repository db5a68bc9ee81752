# Serrano: the two commands a new user needs are `make` and `make test`.
#
#   make          generate every preset's Verilog into verilog_out/<preset>/ and print summaries
#   make test     install missing tools, run all tests, check verilog_out/ for drift,
#                 lint every generated top (verilator -Wall) and synthesize it (Yosys, no latches)
#   make lint     cargo fmt --check and clippy with warnings as errors
#   make bench    build times, simulation speed, tile utilization, softmax throughput and accuracy

PRESETS := $(sort $(basename $(notdir $(wildcard configs/*.toml))))
SERRANO := target/debug/serrano
CARGO   ?= cargo

.PHONY: all verilog build test setup cargo-test check-drift lint-verilog check-synth lint bench clean

all: verilog

build:
	@$(CARGO) build -q -p serrano

verilog: build
	@for p in $(PRESETS); do $(SERRANO) verilog --preset $$p --out verilog_out/$$p || exit 1; echo; done

setup:
	@scripts/setup.sh

test: setup cargo-test check-drift lint-verilog check-synth
	@echo "make test: all checks passed"

cargo-test:
	$(CARGO) test --workspace

check-drift: build
	@scripts/check_drift.sh $(SERRANO) $(PRESETS)

lint-verilog:
	@scripts/lint_verilog.sh verilog_out/*/

check-synth:
	@scripts/check_synth.sh verilog_out/*/

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench: setup
	@$(CARGO) build -q --release -p serrano
	@scripts/bench.sh target/release/serrano $(PRESETS)
	@echo
	@scripts/bench_dma.sh target/release/serrano $(PRESETS)
	@echo
	@echo "Softmax accuracy against float64 (8,000 rows per output width)"
	@$(CARGO) test -q --release -p serrano-testbenches --test softmax softmax_accuracy_benchmark -- --ignored --nocapture

clean:
	$(CARGO) clean
