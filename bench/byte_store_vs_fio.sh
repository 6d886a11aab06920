#!/usr/bin/env bash
# Compares strata's byte store with fio on the same file system, in one run: sequential write
# then sequential read of one file of FILE_BYTES, in blocks of BLOCK_BYTES, QUEUE_DEPTH I/Os in
# flight, O_DIRECT through io_uring on both sides. Prints each side's rate and strata/fio.
#
# Usage: bench/byte_store_vs_fio.sh [DIR]     (DIR default /tmp; must take O_DIRECT)
# Environment (defaults): BUILD=build FILE_BYTES=268435456 BLOCK_BYTES=1048576 QUEUE_DEPTH=32
#                         BUFFER_BYTES=BLOCK_BYTES*QUEUE_DEPTH (see below)
#                         LOOPS=1 ROUNDS=11 (rounds alternate fio and strata; each side's median is
#                         compared, and every round is printed: this is a shared VM with a noisy disk)
#                         SETTLE_S=1 (pause after each side's sync; see settle below)
set -euo pipefail

dir=${1:-/tmp}
build=${BUILD:-build}
file_bytes=${FILE_BYTES:-268435456}
block_bytes=${BLOCK_BYTES:-1048576}
queue_depth=${QUEUE_DEPTH:-32}
loops=${LOOPS:-1}
rounds=${ROUNDS:-11}
strata_bin="$build/bin/rt_store_throughput"
# Host memory the I/Os go from/to: by default fio's (iodepth x bs buffers, reused); strata then
# writes FILE_BYTES / BLOCK_BYTES one-block values from that buffer round-robin. BUFFER_BYTES=0:
# strata writes one FILE_BYTES value from a FILE_BYTES buffer instead.
buffer_bytes=${BUFFER_BYTES:-$((block_bytes * queue_depth))}

command -v fio >/dev/null || { echo "byte_store_vs_fio: fio not found; run scripts/setup.sh" >&2; exit 1; }
[[ -x $strata_bin ]] || { echo "byte_store_vs_fio: $strata_bin not built; build first" >&2; exit 1; }

fio_file="$dir/strata-bench-fio.$$.bin"
trap 'rm -f "$fio_file"' EXIT

# fio's terse output: field 7 = read KiB/s, field 48 = write KiB/s.
fio_rate() {  # $1 = write|read
  local field=48; [[ $1 == read ]] && field=7
  fio --name="strata-vs-fio-$1" --filename="$fio_file" --size="$file_bytes" --bs="$block_bytes" \
      --iodepth="$queue_depth" --ioengine=io_uring --direct=1 --rw="$1" --loops="$loops" \
      --minimal | awk -F';' -v f="$field" '{ printf "%.0f\n", $f * 1024 }'
}

median() { tr ' ' '\n' <<<"$*" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END {
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mbs() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }

# The file system here may discard freed blocks (mount option `discard`) when its journal next
# commits, so a side's writes could pay for the other side's deleted file: after each side
# removes its file, `sync` commits the journal and a short pause lets the discards finish. The
# sides also alternate which goes first, so a drift of the disk's speed during the run falls on
# both alike.
settle() { sync; sleep "${SETTLE_S:-1}"; }
run_fio() {
  fio_ws+=("$(fio_rate write)")
  fio_rs+=("$(fio_rate read)")
  rm -f "$fio_file"
  settle
}
run_strata() {
  local line
  line=$("$strata_bin" --dir "$dir" --file-bytes "$file_bytes" --block-bytes "$block_bytes" \
         --queue-depth "$queue_depth" --loops "$loops" --buffer-bytes "$buffer_bytes")
  st_ws+=("$(sed -E 's/.*write_bytes_per_s=([0-9]+).*/\1/' <<<"$line")")
  st_rs+=("$(sed -E 's/.*read_bytes_per_s=([0-9]+).*/\1/' <<<"$line")")
  settle
}

fio_ws=() fio_rs=() st_ws=() st_rs=()
settle
for ((round = 1; round <= rounds; ++round)); do
  if ((round % 2)); then run_fio; run_strata; else run_strata; run_fio; fi
  echo "  round $round MB/s: write fio $(mbs "${fio_ws[-1]}") strata $(mbs "${st_ws[-1]}")," \
       "read fio $(mbs "${fio_rs[-1]}") strata $(mbs "${st_rs[-1]}")"
done
fio_w=$(median "${fio_ws[*]}") fio_r=$(median "${fio_rs[*]}")
st_w=$(median "${st_ws[*]}") st_r=$(median "${st_rs[*]}")

awk -v dir="$dir" -v fb="$file_bytes" -v bs="$block_bytes" -v qd="$queue_depth" \
    -v rounds="$rounds" -v buf="$buffer_bytes" -v fw="$fio_w" -v fr="$fio_r" -v sw="$st_w" -v sr="$st_r" 'BEGIN {
  printf "byte store vs fio in %s: file %d bytes, block %d bytes, queue depth %d, O_DIRECT, io_uring, strata buffer %d bytes\n", dir, fb, bs, qd, buf
  printf "medians of %d rounds:\n", rounds
  printf "  write: fio %8.1f MB/s   strata %8.1f MB/s   strata/fio %.3f\n", fw / 1e6, sw / 1e6, sw / fw
  printf "  read:  fio %8.1f MB/s   strata %8.1f MB/s   strata/fio %.3f\n", fr / 1e6, sr / 1e6, sr / fr
}'
