// Redactor throughput: a few KB of JSON/log-like text, and 8 MB of ordinary
// log lines (the same generator as bench/node/redact_bench.js), with 16 live
// secrets and every rule on. Figures go in docs/performance.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "keyref/credential_shape.h"
#include "keyref/live_secret.h"
#include "keyref/redactor.h"
#include "keyref/secret_value.h"
#include "redaction/internal.h"

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

// Ordinary log lines: a timestamp, key=value pairs, an e-mail address; the
// same shape as bench/node/redact_bench.js builds.
std::string LogLines(std::size_t bytes) {
  static const char* const kLevels[] = {"INFO", "DEBUG", "WARN"};
  static const char* const kPaths[] = {"/v1/chat/completions", "/v1/models",
                                       "/v1/embeddings"};
  std::string t;
  char line[256];
  for (unsigned i = 0; t.size() < bytes; ++i) {
    std::snprintf(line, sizeof line,
                  "2026-11-28T10:%02u:%02u.%03uZ %s req_id=r%06u "
                  "user=alice.smith@example.com method=POST path=%s "
                  "status=200 dur_ms=%u bytes=%u\n",
                  (i / 60) % 60, i % 60, i % 1000, kLevels[i % 3], i,
                  kPaths[i % 3], 10 + i % 900, 100 + (i * 37) % 5000);
    t += line;
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

// 8 MB of log lines with three planted credentials (a bare key, a Bearer
// header, a JSON api key), spread over the text.
std::string PlantedLogs() {
  std::string t = LogLines(8u << 20);
  t.insert(t.find('\n', t.size() / 4) + 1,
           "2026-11-28T10:00:00.000Z WARN key=" + F().secrets[3] + "\n");
  t.insert(t.find('\n', t.size() / 2) + 1,
           "2026-11-28T10:00:00.000Z DEBUG Authorization: Bearer " +
               F().secrets[7] + "\n");
  t.insert(t.find('\n', t.size() * 3 / 4) + 1,
           "2026-11-28T10:00:00.000Z DEBUG body={\"x-api-key\": \"" +
               F().secrets[11] + "\"}\n");
  return t;
}

void BM_ScrubLogLines8MB(benchmark::State& state) {
  static const std::string text = PlantedLogs();
  std::string out;
  // Scrub returns false (and leaves `out` alone) when nothing matched.
  bool changed = F().redactor.Scrub(text, &out);
  for (int i : {3, 7, 11}) {
    if (!changed || out.find(F().secrets[i]) != std::string::npos) {
      state.SkipWithError("a planted secret was not redacted");
      return;
    }
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(F().redactor.Scrub(text, &out));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScrubLogLines8MB);

// The same 8 MB as sidecar.redact() takes it (addon/src/sidecar_redact.cc):
// the scan on two threads (the caller and one helper,
// FindSpansOnTwoThreads) and the result written on two threads into memory
// reused from call to call (RenderIntoOnTwoThreads). Wall-clock time.
void BM_ScrubLogLines8MBTwoThreads(benchmark::State& state) {
  static const std::string text = PlantedLogs();
  std::vector<Redactor::Span> spans;
  std::string out;
  auto scrub = [&] {
    spans.clear();
    F().redactor.FindSpansOnTwoThreads(text, &spans);
    out.resize(Redactor::RenderedSize(text, spans));
    Redactor::RenderIntoOnTwoThreads(text, spans, out.data());
  };
  scrub();
  for (int i : {3, 7, 11}) {
    if (spans.empty() || out.find(F().secrets[i]) != std::string::npos) {
      state.SkipWithError("a planted secret was not redacted");
      return;
    }
  }
  for (auto _ : state) {
    scrub();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScrubLogLines8MBTwoThreads)->UseRealTime();

// One call per 120-byte log line (4096 distinct lines, the same as
// bench/node/redact_bench.js cuts): the fixed cost of a call plus the scan
// of a short text. Time is per call.
void BM_ScrubLogLine120(benchmark::State& state) {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> v;
    const std::string t = LogLines(4096 * 200);
    for (std::size_t at = 0; v.size() < 4096;) {
      const std::size_t nl = t.find('\n', at);
      std::string line = t.substr(at, nl - at);
      line.resize(119, ' ');
      v.push_back(line + "\n");
      at = nl + 1;
    }
    return v;
  }();
  std::string out;
  std::size_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(F().redactor.Scrub(lines[k++ & 4095], &out));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 120);
}
BENCHMARK(BM_ScrubLogLine120);

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

// Timing of the exact match of a short live value (4 to 7 bytes): 64 KiB
// made of the value's first k bytes padded with '.' to 7 bytes, over and
// over, so that every seventh position matches k bytes of the value and
// none matches it whole. The time should not grow with k
// (docs/threat-model.md, "Timing"). BM_ShortValueFind is the matcher used
// before, std::string_view::find, on the same texts, for comparison: its
// time grows with k, which is what let a prober confirm a short value one
// character at a time.
const std::string& ShortValue() {
  static const std::string v = "Zq7#p1w";
  return v;
}

std::string PrefixText(std::size_t k) {
  std::string chunk = ShortValue().substr(0, k);
  chunk.resize(ShortValue().size(), '.');
  std::string t;
  while (t.size() < 64 * 1024) t += chunk;
  return t;
}

void BM_ShortValuePrefix(benchmark::State& state) {
  const std::string text = PrefixText(static_cast<std::size_t>(state.range(0)));
  std::vector<Redactor::Span> spans;
  for (auto _ : state) {
    spans.clear();
    redaction::FindShortValue(text, ShortValue(), &spans);
    benchmark::DoNotOptimize(spans.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ShortValuePrefix)->DenseRange(0, 6);

void BM_ShortValueFind(benchmark::State& state) {
  const std::string text = PrefixText(static_cast<std::size_t>(state.range(0)));
  const std::string_view hay(text);
  for (auto _ : state) {
    std::size_t n = 0;
    for (std::size_t at = hay.find(ShortValue()); at != hay.npos;
         at = hay.find(ShortValue(), at + 1)) {
      ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ShortValueFind)->DenseRange(0, 6);

}  // namespace
}  // namespace keyref

// BENCHMARK_MAIN, with the shape scan's block classifier in the context
// printed before the figures.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("shape_scan", keyref::ShapeScanPathName());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
