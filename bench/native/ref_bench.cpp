// Throughput of the apiKeyRef parser. items/s is refs per second. Figures
// only: nothing here asserts a time (aim: >= 10M refs/s for CheckRef).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "keyref/credential_shape.h"
#include "keyref/ref.h"

namespace {

// Typical valid refs, of the lengths profiles use.
const std::vector<std::string>& ValidRefs() {
  static const std::vector<std::string> refs = {
      "secret:openai/prod",
      "env:OPENAI_API_KEY",
      "keyring:openai/alice",
      "secret:team-alpha/openai-production/key-2024-primary-east",
      "env:AZURE_OPENAI_API_KEY_PRODUCTION_EASTUS2",
      "keyring:com.example.app/alice@example.com",
      "op://Private/OpenAI API/credential",
      "pass:llm/anthropic",
  };
  return refs;
}

// Valid and refused refs, one of each kind of refusal (synthetic keys).
const std::vector<std::string>& MixedRefs() {
  static const std::vector<std::string> refs = {
      "secret:openai/prod",
      "env:OPENAI_API_KEY",
      "keyring:openai/alice",
      "secret:team-alpha/openai-production/key-2024-primary-east",
      "sk-proj-FAKE_example-0123456789abcdefNOTAKEY0000",
      "secret:ghp_FAKE0123456789abcdefEXAMPLEnotakey00",
      "env:OPENAI_API_KEY ",
      "OPENAI_API_KEY",
      "ENV:OPENAI_API_KEY",
      "file:openai",
      "secret:a/../b",
      "op://Private/OpenAI/credential?attribute=otp",
  };
  return refs;
}

void RunCheck(benchmark::State& state, const std::vector<std::string>& refs,
              keyref::SchemeSet policy) {
  std::size_t i = 0;
  for (auto _ : state) {
    keyref::RefCheck c = keyref::CheckRef(refs[i], policy);
    benchmark::DoNotOptimize(c);
    if (++i == refs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CheckRefValid(benchmark::State& state) {
  RunCheck(state, ValidRefs(), keyref::SchemeSet::All());
}
BENCHMARK(BM_CheckRefValid);

void BM_CheckRefMixed(benchmark::State& state) {
  RunCheck(state, MixedRefs(), keyref::SchemeSet::Default());
}
BENCHMARK(BM_CheckRefMixed);

void BM_CheckRefHuge(benchmark::State& state) {
  // A 1 MB input: answered from its first bytes (REF_TOO_LONG).
  const std::vector<std::string> refs = {std::string(1 << 20, 'a')};
  RunCheck(state, refs, keyref::SchemeSet::All());
}
BENCHMARK(BM_CheckRefHuge);

void BM_LiteralScanValid(benchmark::State& state) {
  // The REF_LITERAL_SECRET step alone, on valid refs.
  const auto& refs = ValidRefs();
  std::size_t i = 0;
  for (auto _ : state) {
    auto f = keyref::FirstCredentialShape(refs[i]);
    benchmark::DoNotOptimize(f);
    if (++i == refs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LiteralScanValid);

void BM_ParseRefValid(benchmark::State& state) {
  const auto& refs = ValidRefs();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = keyref::ParseRef(refs[i], keyref::SchemeSet::All());
    benchmark::DoNotOptimize(r);
    if (++i == refs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRefValid);

void BM_ParseRefMixed(benchmark::State& state) {
  // Refused refs build their message and hint: the slow path.
  const auto& refs = MixedRefs();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = keyref::ParseRef(refs[i], keyref::SchemeSet::Default());
    benchmark::DoNotOptimize(r);
    if (++i == refs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRefMixed);

}  // namespace

BENCHMARK_MAIN();
