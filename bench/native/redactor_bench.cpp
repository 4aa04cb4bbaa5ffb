// Redactor throughput: a few KB of JSON/log-like text, with 16 live secrets
// and every rule on. Figures go in docs/redaction.md.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "keyref/credential_shape.h"
#include "keyref/live_secret.h"
#include "keyref/redactor.h"

namespace keyref {
namespace {

std::string Secret(std::mt19937_64& rng) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s = "sk-proj-";
  for (int i = 0; i < 48; ++i) s.push_back(abc[rng() % 62]);
  return s;
}

// ~4 KB of what keyref logs and relays: chat JSON, SSE lines, log lines.
std::string TypicalText() {
  std::string t;
  int i = 0;
  while (t.size() < 4096) {
    t += "{\"id\":\"chatcmpl-" + std::to_string(1000 + i) +
         "\",\"object\":\"chat.completion.chunk\",\"created\":1732300000,"
         "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":"
         "{\"content\":\"The quick brown fox jumps over the lazy dog, "
         "again and again.\"},\"finish_reason\":null}]}\n";
    t += "2026-11-23T12:00:00.123 [debug] request POST "
         "https://api.openai.com/v1/chat/completions ref=secret:openai "
         "scheme=secret status=200 ttfb=123.4ms total=456.7ms sent=1234B\n";
    ++i;
  }
  return t;
}

struct Fixture {
  Fixture() {
    std::mt19937_64 rng(42);
    for (int i = 0; i < 16; ++i) {
      secrets.push_back(Secret(rng));
      live.push_back(std::make_unique<LiveSecret>(
          SecretValue::FromBytes(secrets.back().data(), secrets.back().size()),
          redactor));
    }
    clean = TypicalText();
    dirty = clean;
    // A few secrets, an Authorization header and a JSON api key.
    dirty.insert(dirty.size() / 4, " key " + secrets[3] + " ");
    dirty.insert(dirty.size() / 2,
                 "\r\nAuthorization: Bearer " + secrets[7] + "\r\n");
    dirty.insert(dirty.size() * 3 / 4,
                 "\"x-api-key\": \"" + secrets[11] + "\"");
  }
  Redactor redactor;
  std::vector<std::string> secrets;
  std::vector<std::unique_ptr<LiveSecret>> live;
  std::string clean;
  std::string dirty;
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_ScrubClean(benchmark::State& state) {
  const std::string& text = F().clean;
  std::string out;
  for (auto _ : state) {
    bool changed = F().redactor.Scrub(text, &out);
    benchmark::DoNotOptimize(changed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScrubClean);

void BM_ScrubWithSecrets(benchmark::State& state) {
  const std::string& text = F().dirty;
  std::string out;
  for (auto _ : state) {
    bool changed = F().redactor.Scrub(text, &out);
    benchmark::DoNotOptimize(changed);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScrubWithSecrets);

void BM_ScrubLarge(benchmark::State& state) {
  std::string text;
  while (text.size() < (1 << 20)) text += F().dirty;
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(F().redactor.Scrub(text, &out));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScrubLarge);

// JSON as providers send it, with escapes in every string (\n, \", \u00e9):
// the text is also read with its escapes decoded (docs/redaction.md).
void BM_ScrubJsonEscapes(benchmark::State& state) {
  std::string text;
  while (text.size() < 4096) {
    text +=
        "{\"content\":\"He said \\\"hi\\\"\\nthen left \\u00e9\",\"i\":1}\n";
  }
  std::string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(F().redactor.Scrub(text, &out));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScrubJsonEscapes);

void BM_CredentialShapesOnly(benchmark::State& state) {
  const std::string& text = F().clean;
  std::vector<CredentialMatch> m;
  for (auto _ : state) {
    m.clear();
    FindCredentialShapes(text, &m);
    benchmark::DoNotOptimize(m.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_CredentialShapesOnly);

void BM_StreamScrubber(benchmark::State& state) {
  const std::string& text = F().dirty;
  for (auto _ : state) {
    StreamScrubber s(F().redactor);
    std::size_t n = 0;
    for (std::size_t at = 0; at < text.size(); at += 512) {
      n += s.Write(std::string_view(text).substr(at, 512)).size();
    }
    n += s.Finish().size();
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_StreamScrubber);

}  // namespace
}  // namespace keyref

BENCHMARK_MAIN();
