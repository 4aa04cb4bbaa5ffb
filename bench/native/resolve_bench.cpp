// Resolution in the core, without Node: a keyring lookup against the
// Secret Service (run under scripts/with-keyring.sh), a cache hit, and the
// cache-hit test check() uses on the JS thread.
//
//   scripts/with-keyring.sh build-native/resolve_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "keyref/instance.h"

namespace keyref {
namespace {

const std::string kRef = "keyring:keyref-native-bench/alice";

void Store(Instance& inst) {
  auto v = SecretValue::FromBytes("bench-value-0123456789", 22);
  inst.Store(ParseRef(kRef).value(), v);
}

void BM_KeyringResolveCold(benchmark::State& state) {
  Policy p;
  Instance inst(p);
  Store(inst);
  ParsedRef ref = ParseRef(kRef).value();
  for (auto _ : state) {
    auto r = inst.Resolve(ref);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  inst.Delete(ref);
}
BENCHMARK(BM_KeyringResolveCold)->Unit(benchmark::kMicrosecond);

void BM_ResolveCached(benchmark::State& state) {
  setenv("KEYREF_BENCH_VALUE", "bench-value-0123456789", 1);
  Policy p;
  p.cache_ttl = std::chrono::milliseconds(600000);
  Instance inst(p);
  ParsedRef ref = ParseRef("env:KEYREF_BENCH_VALUE").value();
  inst.Resolve(ref);
  for (auto _ : state) {
    auto r = inst.Resolve(ref);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ResolveCached);

void BM_CheckCached(benchmark::State& state) {
  Policy p;
  p.cache_ttl = std::chrono::milliseconds(600000);
  Instance inst(p);
  Store(inst);
  inst.Check(kRef);
  Scheme s;
  for (auto _ : state) {
    bool hit = inst.CheckCached(kRef, &s);
    benchmark::DoNotOptimize(hit);
  }
  inst.Delete(ParseRef(kRef).value());
}
BENCHMARK(BM_CheckCached);

}  // namespace
}  // namespace keyref

BENCHMARK_MAIN();
