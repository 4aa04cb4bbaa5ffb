#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/, clang with ASan+UBSan) and runs
# each for SECONDS (default 60) on one core, starting from the committed seed
# corpus (test/fuzz/corpus/<target>/) with its dictionary (test/fuzz/dict/).
# libFuzzer's final statistics are printed (-print_final_stats=1). A crash or
# a violated property stops the script with the reproducer saved under
# build-fuzz/crashes/<target>/; a run ends with a non-zero status.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   FUZZ_RUNS=N   stop each target after N executions instead (optional)
#   FUZZ_WORK=dir keep the growing corpus there (default build-fuzz/corpus)
# The JavaScript validators (profiles, webview messages) are fuzzed by
# test/fuzz/js_validators_fuzz.js, run at the end with a bounded count.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}
shift || true
build=${FUZZ_BUILD:-build-fuzz}
work=${FUZZ_WORK:-$build/corpus}

if ! command -v clang++ >/dev/null ||
  ! compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends clang libclang-rt-14-dev
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -DKEYREF_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"${FUZZ_JOBS:-2}"

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in test/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  name=${t%_fuzz}
  [ -x "$build/test/fuzz/$t" ] || continue
  mkdir -p "$work/$name" "$build/crashes/$name"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
        -rss_limit_mb=2048 -max_len=8192
        -artifact_prefix="$build/crashes/$name/")
  [ -f "test/fuzz/dict/$name.dict" ] && args+=(-dict="test/fuzz/dict/$name.dict")
  [ -n "${FUZZ_RUNS:-}" ] && args+=(-runs="$FUZZ_RUNS")
  echo "== fuzz $t (${seconds}s)"
  if ! "$build/test/fuzz/$t" "${args[@]}" "$work/$name" \
      "test/fuzz/corpus/$name" 2>"$build/$t.log"; then
    status=1
    echo "!! $t failed; see $build/$t.log and $build/crashes/$name/"
  fi
  # The figures: executions, speed, coverage (edges) and features.
  grep -E '^stat::|cov: [0-9]+ ft: [0-9]+' "$build/$t.log" |
    grep -E 'stat::|DONE' | tail -12 || true
  grep -E 'ERROR: |property violated|SUMMARY' "$build/$t.log" | head -5 || true
done

if [ -f test/fuzz/js_validators_fuzz.js ] && [ -d addon/dist ]; then
  echo "== fuzz js_validators"
  node test/fuzz/js_validators_fuzz.js --seconds "$seconds" || status=1
fi
exit $status
