#!/usr/bin/env bash
# The native tests under ThreadSanitizer, by hand (not in CI: the build and
# run take about 8 minutes on 2 cores, more than CI's budget has left), in
# a throwaway keyring session as scripts/test.sh runs them. libdbus, glib and
# libsecret are not built with TSan, so reports inside them are suppressed
# (test/tsan.supp); keyref's own code is not. The mlock children are left
# out (TSan's shadow memory defeats their RLIMIT_MEMLOCK). Any report fails
# the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKEYREF_BUILD_BENCH=OFF -DKEYREF_BUILD_CLI=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_C_FLAGS="-fsanitize=thread" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build build-tsan -j2 --target keyref_native_tests
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/test/tsan.supp" \
  scripts/with-keyring.sh build-tsan/keyref_native_tests --gtest_brief=1 \
  --gtest_filter='-*Mlock*'
