#!/usr/bin/env bash
# Builds the benchmarks (CMake, Release, in build-bench/) and the addon, then
# runs every bench/native/*_bench program and every bench/node/*_bench.js
# script (inside a throwaway keyring session, which the keyring bench uses),
# printing their figures. Benchmarks never pass or fail on time. Each figure
# is a ratio against the peer measured in the same run where one exists
# (docs/performance.md); the machine (cores, CPU model, load average) is
# printed first and the load again before each benchmark, since a shared
# machine's load moves every figure.
# Environment: KEYREF_BENCH_MIN_TIME (seconds per Google Benchmark case,
# default 0.5), KEYREF_BENCH_ROUNDS / KEYREF_BENCH_CALLS for the Node scripts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=2  # the machine is shared: never more than two compile jobs

machine() {
  echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "node $(node --version), load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u +%H:%M:%SZ)"
}
machine
bash scripts/bootstrap.sh
echo "== build (Release, build-bench/)"
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DKEYREF_BUILD_TESTS=OFF \
  -DKEYREF_BUILD_BENCH=ON >/dev/null
cmake --build build-bench -j"$jobs" >/dev/null
node scripts/build-addon.js --incremental --test-hooks >/dev/null
npm run --silent build:ts >/dev/null

shopt -s nullglob
for src in bench/native/*_bench.cpp; do
  bin="build-bench/$(basename "$src" .cpp)"
  echo "== $bin (load $(cut -d' ' -f1-3 /proc/loadavg))"
  scripts/with-keyring.sh "$bin" --benchmark_min_time="${KEYREF_BENCH_MIN_TIME:-0.5}"
done
for script in bench/node/*_bench.js; do
  echo "== node $script (load $(cut -d' ' -f1-3 /proc/loadavg))"
  scripts/with-keyring.sh node "$script"
done
