#!/bin/sh
# Builds the libFuzzer harnesses with clang under ASan + UBSan (build-fuzz/, once) and runs one for N seconds on a
# copy of its seed corpus, so the repository's corpus only grows by hand (fuzz/README.md).
#   fuzz/run.sh HARNESS [SECONDS] [extra libFuzzer flags...]     e.g. fuzz/run.sh trace_json 600
# HARNESS is a name of fuzz/meson.build (experiment, sweep, trace_json, trace_jsonl, ninja_log, owner_trace, profile,
# figure, frames). New inputs go to build-fuzz/corpus/HARNESS/, crashes to build-fuzz/crashes/HARNESS/.
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,7p' "$0"; exit 2; }
harness=$1
seconds=${2:-60}
[ $# -ge 2 ] && shift 2 || shift 1
if [ ! -f build-fuzz/build.ninja ]; then
  CXX="ccache clang++" meson setup build-fuzz -Dfuzz=enabled --buildtype=debugoptimized -Db_ndebug=false >/dev/null
fi
nice -n 19 ninja -C build-fuzz "fuzz/fuzz_$harness" >/dev/null
mkdir -p "build-fuzz/corpus/$harness" "build-fuzz/crashes/$harness"
cp -n "fuzz/corpus/$harness"/* "build-fuzz/corpus/$harness/" 2>/dev/null || true
# detect_leaks: a leak is a failure too. -timeout: one input taking over 10 s is a hang. -max_len: configs and
# traces are small texts; 64 KiB leaves room for frames of every message type.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  exec nice -n 19 "build-fuzz/fuzz/fuzz_$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$harness/" "$@" \
  "build-fuzz/corpus/$harness"
