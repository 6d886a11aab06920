# Sourced by the bench scripts: strata_cli HERE BUILD prints the path of BUILD/bin/strata,
# configuring and building a Release tree in BUILD first (CLI target only) when it is missing.
strata_cli() {
  local here=$1 build=$2
  if [[ ! -x "$build/bin/strata" ]]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" --target strata_cli >/dev/null
  fi
  echo "$build/bin/strata"
}
