#!/usr/bin/env bash
# Builds strata and runs the whole test suite twice: a Release build with warnings as errors,
# then a build under AddressSanitizer + UndefinedBehaviorSanitizer (leaks included).
# Run scripts/setup.sh first (the README's test command does both).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== Release build (-Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
echo "== Release tests"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== ASan+UBSan build"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DSTRATA_SANITIZE=address,undefined -DSTRATA_WERROR=ON -DSTRATA_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
echo "== ASan+UBSan tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
