#!/usr/bin/env bash
# Install the tools Serrano's flow needs, from Debian/Ubuntu packages, when
# they are missing. Does nothing when everything is present.
#
#   verilator (>= 5.0)  simulation and lint        package: verilator
#   yosys               synthesis, area            package: yosys
#   iverilog            second-opinion simulation  package: iverilog
#   nextpnr-ice40       place and route, Fmax      package: nextpnr-ice40
#   icepack             iCE40 bitstreams           package: fpga-icestorm
#   g++, make           building Verilator models  packages: g++, make
#   zlib headers        Verilator's FST writer     package: zlib1g-dev
set -euo pipefail

missing=()
need() { # need COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
}
need verilator verilator
need yosys yosys
need iverilog iverilog
need nextpnr-ice40 nextpnr-ice40
need icepack fpga-icestorm
need g++ g++
need make make
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: missing packages: ${missing[*]}"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: no apt-get on this machine. Install the equivalents of: ${missing[*]}" >&2
        echo "setup: (Verilator must be version 5.0 or newer.)" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "setup: not root and no password-less sudo. Run:" >&2
        echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "setup: installed ${missing[*]}"
fi

# Verilator 4 lacks the VerilatedContext API that verilator-sys uses.
ver=$(verilator --version | awk '{print $2}')
if [ "${ver%%.*}" -lt 5 ]; then
    echo "setup: Verilator $ver is too old: Serrano needs 5.0 or newer (Debian 12 and Ubuntu 24.04 ship it)." >&2
    exit 1
fi
