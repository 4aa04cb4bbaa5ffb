// The per-byte and per-event parts of the request builder: SSE parsing,
// the key scrubber, base URL checks. Prints figures; no assertions.
#include <benchmark/benchmark.h>

#include <string>

#include "keyref/base_url.h"
#include "keyref/key_scrubber.h"
#include "keyref/sse_parser.h"

namespace keyref {
namespace {

std::string Stream(int events) {
  std::string s;
  for (int i = 0; i < events; ++i) {
    s += "data: {\"choices\":[{\"delta\":{\"content\":\"token " +
         std::to_string(i) + " \"}}]}\n\n";
  }
  return s;
}

void BM_SseParse(benchmark::State& state) {
  const std::string stream = Stream(10000);
  const std::size_t chunk = static_cast<std::size_t>(state.range(0));
  std::int64_t events = 0;
  for (auto _ : state) {
    SseParser p([&](SseEvent&& e) {
      benchmark::DoNotOptimize(e.data.data());
      ++events;
      return true;
    });
    for (std::size_t off = 0; off < stream.size(); off += chunk) {
      p.Feed(std::string_view(stream).substr(off, chunk));
    }
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_SseParse)->Arg(64)->Arg(16384);

void BM_KeyScrubClean(benchmark::State& state) {
  const std::string key = std::string("sk-") + "bench-" +
                          "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
  KeyScrubber scrubber(SecretValue::FromBytes(key.data(), key.size()));
  const std::string text = Stream(100);
  for (auto _ : state) {
    std::string out;
    benchmark::DoNotOptimize(scrubber.Scrub(text, &out));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_KeyScrubClean);

void BM_KeyScrubBuild(benchmark::State& state) {
  const std::string key = std::string("sk-") + "bench-" +
                          "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
  SecretValue value = SecretValue::FromBytes(key.data(), key.size());
  for (auto _ : state) {
    KeyScrubber scrubber(value);
    benchmark::DoNotOptimize(&scrubber);
  }
}
BENCHMARK(BM_KeyScrubBuild);

// What a request with a key sent a moment ago pays instead (ResolveKey in
// http_client.cpp): the keyed digest of the key and a lookup.
void BM_KeyScrubCached(benchmark::State& state) {
  const std::string key = std::string("sk-") + "bench-" +
                          "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
  SecretValue value = SecretValue::FromBytes(key.data(), key.size());
  KeyScrubberCache cache;
  cache.For(value);
  for (auto _ : state) {
    KeyScrubber scrubber = cache.For(value);
    benchmark::DoNotOptimize(&scrubber);
  }
}
BENCHMARK(BM_KeyScrubCached);

void BM_ParseBaseUrl(benchmark::State& state) {
  for (auto _ : state) {
    auto r = ParseBaseUrl(
        "https://example-resource.openai.azure.com/openai/deployments/"
        "gpt-4o?api-version=2024-10-21");
    benchmark::DoNotOptimize(r.ok());
  }
}
BENCHMARK(BM_ParseBaseUrl);

}  // namespace
}  // namespace keyref

BENCHMARK_MAIN();
