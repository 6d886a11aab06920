#!/usr/bin/env bash
# Fidelity to G10's published results (docs/fidelity.md): every G10-column policy of strata on
# the seven shared G10 workloads, machine g10-a100, side by side with G10's numbers read from
# ../shared/g10/README.md, and the difference. Prints a Markdown table.
#
#   bash bench/fidelity.sh [build-dir]        (default build dir: build; builds it if needed)
#   STRATA_FAULT_COST=measured bash bench/fidelity.sh   (G10's per-kernel fault model instead of
#                                                       the default batches; docs/fault_model.md)
#   STRATA_KERNEL_TIMING=strata bash bench/fidelity.sh  (every kernel starts once its data is in
#                                                       place, also under the policies on Unified
#                                                       Memory; `strata sim --kernel-timing`)
#
# Needs only bash and awk beside strata. Each (workload, policy) is one `strata sim --json`.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
g10="${STRATA_G10_DIR:-$here/../shared/g10}"
fault_cost="${STRATA_FAULT_COST:-batches}"
kernel_timing="${STRATA_KERNEL_TIMING:-policy}"
readme="$g10/README.md"
if [[ ! -f "$readme" ]]; then
  echo "fidelity.sh: $readme not found; set STRATA_G10_DIR to the folder of G10 workloads" >&2
  exit 1
fi
source "$here/bench/strata_cli.sh"
strata=$(strata_cli "$here" "$build")

# G10's published table: | workload | ideal (ms) | Base UVM | FlashNeuron | DeepUM+ | G10 |
published() {  # $1 workload, $2 column (3 = Base UVM, 4 = FlashNeuron, 5 = DeepUM+, 6 = G10)
  awk -F'|' -v w="$1" -v c="$2" '
    { gsub(/ /, "", $2) } $2 == w { v = $(c + 1); gsub(/ /, "", v); print v; exit }' "$readme"
}
fraction() {  # $1 workload, $2 policy -> fraction of ideal, or "infeasible"
  "$strata" sim "g10:$1" --machine g10-a100 --policy "$2" --fault-cost "$fault_cost" \
    --kernel-timing "$kernel_timing" --json |
    awk -F': ' '/"feasible"/ { f = ($2 ~ /true/) }
                /"fraction_of_ideal"/ { gsub(/[ ,]/, "", $2); v = $2 }
                END { if (f) printf "%.3f", v; else printf "infeasible" }'
}
cell() {  # $1 ours, $2 published -> "ours (published, +diff)"
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "infeasible") { printf "infeasible (%s)", b; exit }
    d = a - b; printf "%s (%s, %s%.3f)", a, b, (d >= 0 ? "+" : ""), d }'
}

workloads=(BERT-256 BERT-512 VIT-512 VIT-1024 Inceptionv3-1024 ResNet152-768 SENet154-512)
echo "| workload | uvm (Base UVM) | flashneuron (FlashNeuron) | deepum (DeepUM+) | g10 (G10) | g10-plan (G10) | strata (G10) |"
echo "|---|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  if [[ ! -d "$g10/$w" ]]; then
    echo "fidelity.sh: $g10/$w missing" >&2
    exit 1
  fi
  row="| $w"
  for spec in "uvm 3" "flashneuron 4" "deepum 5" "g10 6" "g10-plan:$g10/$w 6" "strata 6"; do
    read -r policy column <<<"$spec"
    row+=" | $(cell "$(fraction "$w" "$policy")" "$(published "$w" "$column")")"
  done
  echo "$row |"
done
