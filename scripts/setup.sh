#!/usr/bin/env bash
# Installs every Debian 12 package strata needs to build, test and benchmark.
# Idempotent: installs only what is missing, and touches apt only when something is.
# Run as root (or through sudo). Usage: scripts/setup.sh
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build git pkg-config
  # libraries (README: "Dependencies" says why each is here)
  libcli11-dev          # command-line parsing
  libtomlplusplus-dev   # machine presets (TOML)
  nlohmann-json3-dev    # workload / plan / report JSON
  libfmt-dev            # formatting of tables and messages
  libgtest-dev libgmock-dev   # tests
  libbenchmark-dev      # micro-benchmarks in bench/
  liburing-dev          # io_uring: the runtime's SSD byte store (src/rt)
  libxxhash-dev         # XXH3 checksums in the runtime's tests and benchmarks
  libglpk-dev           # GLPK: the lower bound's linear-programming relaxation (src/bound)
  fio                   # bench/byte_store_vs_fio.sh compares the byte store with fio
  # code style
  clang-format clang-tidy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "setup: missing packages (${missing[*]}) and not root: run 'scripts/setup.sh' as root" >&2
    exit 1
  fi
else
  SUDO=
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
