#!/usr/bin/env bash
# Builds strata (Release) and runs its main job on built-in defaults: the memory profile of a
# zoo model and, where ../shared/g10 is present, of a real G10 training trace.
# Run scripts/setup.sh first (the README's first command does both).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
echo
build/bin/strata inspect model:bert_large --batch 32 --seq 512 --machine g10-a100 --memory-plot build/bert_large.svg
if [[ -d ../shared/g10/BERT-512 ]]; then
  echo
  build/bin/strata inspect g10:BERT-512 --memory-plot build/BERT-512.svg
fi
