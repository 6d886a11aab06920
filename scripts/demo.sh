#!/usr/bin/env bash
# Builds strata (Release) and runs its main job on built-in defaults: every comparable policy
# side by side on a zoo model that does not fit the GPU (BERT-large, batch 32, 512 tokens: its
# iteration peaks far above the 40 GiB of G10's A100), how the policies fare as GPU memory grows
# (with an SVG plot), and the memory profile of the model and, where ../shared/g10 is present,
# of a real G10 training trace.
# Run scripts/setup.sh first (the README's first command does both).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
model=(model:bert_large --batch 32 --seq 512 --machine g10-a100)
echo
echo "== strata compare: every policy, BERT-large (batch 32, 512 tokens) on G10's A100 40 GB =="
build/bin/strata compare "${model[@]}"
echo
echo "== strata sweep: the same as GPU memory grows =="
build/bin/strata sweep "${model[@]}" --over gpu-memory --values 16GiB:80GiB:+16GiB \
  --plot build/bert_large_gpu_memory.svg --quiet
echo
build/bin/strata inspect "${model[@]}" --memory-plot build/bert_large.svg
if [[ -d ../shared/g10/BERT-512 ]]; then
  echo
  build/bin/strata inspect g10:BERT-512 --memory-plot build/BERT-512.svg
fi
