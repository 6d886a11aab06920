#!/usr/bin/env bash
# strata against g10 on batch sizes of the G10 models that are not the shared seven (issue 4,
# "the same on other batch sizes"): zoo models of the same families (BERT-base/large, ViT-B/L,
# Inception-v3, ResNet-152, SENet-154) at batch sizes whose peak does not fit g10-a100's 40 GB
# GPU, each compared under uvm, deepum, g10 and strata. Prints a Markdown table: per case the
# fraction of ideal of each policy, strata's iteration over the lower bound (`strata bound`,
# docs/bound.md; 1.000 = provably optimal), and PASS where strata >= g10 (FAIL otherwise); the
# exit status is the number of FAILs (0: all pass).
#
#   bash bench/other_batches.sh [build-dir]        (default build dir: build; builds it if needed)
#
# G10's own traces (../shared/g10) exist at one batch size each: kernels.config records one
# measured iteration, and nothing in it scales with the batch, so other batch sizes come from
# the zoo, whose kernel times are a roofline on g10-a100's A100 instead of measurements.
# The cases are fixed here, chosen only as "does not fit in 40 GB" (peak 1.1x to 2.6x); nothing
# in the planner reads them.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
source "$here/bench/strata_cli.sh"
strata=$(strata_cli "$here" "$build")
policies=(uvm deepum g10 strata)

cases=(
  "bert_base 512" "bert_base 768" "bert_large 192" "bert_large 320"
  "vit_b16 512" "vit_b16 768" "vit_l16 192" "vit_l16 256"
  "inception_v3 512" "inception_v3 768" "resnet152 384" "resnet152 512"
  "senet154 192" "senet154 256"
)

# fraction of ideal per policy from `strata compare --json`, in the order of $policies
fractions() {  # $1 model, $2 batch
  "$strata" compare "model:$1" --batch "$2" --machine g10-a100 \
    --policies "$(IFS=,; echo "${policies[*]}")" --json |
    awk -F': ' '/"feasible"/ { f = ($2 ~ /true/) }
                /"fraction_of_ideal"/ { gsub(/[ ,]/, "", $2); v = $2 }
                /"of_bound"/ { gsub(/[ ,]/, "", $2); b = $2 }
                /"policy"/ { gsub(/[ ",]/, "", $2); printf "%s=%s %s/bound=%s ", $2,
                             (f ? sprintf("%.3f", v) : "inf"), $2, (f ? sprintf("%.3f", b) : "-") }'
}

echo "| model | batch | peak (GiB) | uvm | deepum | g10 | strata | strata / bound | strata >= g10 |"
echo "|---|---|---|---|---|---|---|---|---|"
fails=0
for c in "${cases[@]}"; do
  set -- $c
  peak=$("$strata" inspect "model:$1" --batch "$2" --machine g10-a100 2>/dev/null |
    awk '/peak live/ { print $3; exit }')
  declare -A f=()
  for kv in $(fractions "$1" "$2"); do f[${kv%%=*}]=${kv#*=}; done
  verdict=$(awk -v s="${f[strata]}" -v g="${f[g10]}" 'BEGIN {
    if (s == "inf") { print "FAIL"; exit } if (g == "inf") { print "PASS"; exit }
    print (s + 0 >= g + 0 ? "PASS" : "FAIL") }')
  [[ "$verdict" == PASS ]] || fails=$((fails + 1))
  echo "| $1 | $2 | $peak | ${f[uvm]} | ${f[deepum]} | ${f[g10]} | ${f[strata]} | ${f[strata/bound]} | $verdict |"
  unset f
done
echo
echo "$fails of ${#cases[@]} cases with strata below g10"
exit "$fails"
