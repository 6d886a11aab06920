#!/usr/bin/env bash
# Issue 5's replay targets, both sides in one run on this machine:
#   1. replay of a scaled G10 workload with the fast tier at 25% of its peak live bytes, under
#      strata's plan for the machine, against the same replay with an unlimited fast tier
#      (throughput ratio = ideal iteration / strata iteration; target >= 0.9);
#   2. the simulator's prediction of each run (same machine, workload and plan) against the
#      measured iteration (measured / predicted; target within 15%, i.e. 0.85 .. 1.15).
# Usage: bash bench/replay_targets.sh [WORKLOAD [SCALE [TIME_SCALE [MACHINE]]]]
#   defaults: BERT-256 32 2 cpu-local (MACHINE may be a .toml written by `strata bench --out`).
# Needs ../shared/g10 (or STRATA_G10_DIR) and a Release build in build/ (built if missing).
# Kernel times are profiled in the first iteration (--profile): on a small CPU the replay's
# kernels cannot touch their bytes in the scaled A100 times, so plans and predictions use the
# measured times (docs/runtime.md, "Replay").
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-BERT-256}
SCALE=${2:-32}
TSCALE=${3:-2}
MACHINE=${4:-cpu-local}
ITER=${ITERATIONS:-4}
source bench/strata_cli.sh
BIN=$(strata_cli . build)

peak=$($BIN inspect "g10:$W" --json | grep -o '"peak_live_bytes": *[0-9]*' | head -1 | grep -o '[0-9]*$')
fast=$(( peak / SCALE / 4 ))
echo "workload g10:$W /$SCALE (time /$TSCALE), machine $MACHINE, peak live $(( peak / SCALE )) B, fast tier $fast B (25%)"

# first "iteration_ns" after the given top-level key of `strata run --json`
field() { awk -v key="\"$2\"" 'index($0, key) { on = 1 } on && /"iteration_ns"/ { gsub(/[^0-9]/, ""); print; exit }' "$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--scale "$SCALE" --time-scale "$TSCALE" --machine "$MACHINE" --iterations "$ITER" --profile --predict --json)
$BIN run "g10:$W" --policy ideal "${common[@]}" >"$tmp/ideal.json"
$BIN run "g10:$W" --policy strata --fast-capacity "${fast}B" "${common[@]}" >"$tmp/strata.json"

im=$(field "$tmp/ideal.json" measured); ip=$(field "$tmp/ideal.json" predicted)
sm=$(field "$tmp/strata.json" measured); sp=$(field "$tmp/strata.json" predicted)
awk -v im="$im" -v ip="$ip" -v sm="$sm" -v sp="$sp" 'BEGIN {
  printf "%-28s %14s %14s %10s\n", "run", "measured ms", "predicted ms", "meas/pred"
  printf "%-28s %14.1f %14.1f %10.3f\n", "ideal (unlimited fast tier)", im / 1e6, ip / 1e6, im / ip
  printf "%-28s %14.1f %14.1f %10.3f\n", "strata (fast tier 25%)", sm / 1e6, sp / 1e6, sm / sp
  r = im / sm
  printf "throughput strata / ideal: %.3f  (target >= 0.90: %s)\n", r, ((r >= 0.9) ? "PASS" : "FAIL")
  ok = (im / ip >= 0.85 && im / ip <= 1.15 && sm / sp >= 0.85 && sm / sp <= 1.15)
  printf "prediction within 15%% on both runs: %s\n", (ok ? "PASS" : "FAIL")
}'
