// Redactor::FindSpansOnTwoThreads (docs/performance.md, "Redaction, 8 MB,
// sixth pass"): a text of a megabyte or more is scanned by the calling thread
// (the credential shapes, the header values) and one helper thread (the runs of
// live and remembered secrets) at once. These tests pin that the spans are
// exactly FindSpans' on one thread, with every kind of match planted in
// the middle of a large text (where a split by position would cut) and
// across it, PEM blocks and header lines that span lines, runs of live
// secrets back to back, escaped secrets; and when many threads call at once
// (the helper is busy: the others scan alone).
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "keyref/live_secret.h"
#include "keyref/redactor.h"
#include "redaction/internal.h"
#include "redaction/one_pass.h"
#include "redaction/scan_worker.h"
#include "redaction_test_util.h"

namespace keyref {
namespace {

using testing_util::FreshKey;

std::string LogLines(std::size_t bytes) {
  std::string t;
  for (int i = 0; t.size() < bytes; ++i) {
    t += "2026-11-28T10:00:" + std::to_string(i % 60) + ".001Z INFO req_id=r" +
         std::to_string(i) +
         " user=alice.smith@example.com method=POST path=/v1/models "
         "status=200 dur_ms=" +
         std::to_string(10 + i % 900) + "\n";
  }
  return t;
}

std::string Percent(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// `c` as a JSON \u escape.
std::string JsonEscape(char c) {
  static const char hex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  return std::string("\\u00") + hex[u >> 4] + hex[u & 15];
}

class TwoThreadsScan : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = "sk-proj-" + FreshKey(40);
    other_ = FreshKey(32);
    short_ = "Qz7" + FreshKey(3);  // 6 bytes: matched exactly while live
    for (const std::string* v : {&key_, &other_, &short_}) {
      live_.push_back(std::make_unique<LiveSecret>(
          SecretValue::FromBytes(v->data(), v->size()), r_));
    }
  }

  // What gets planted: every rule, and matches that span lines.
  std::vector<std::string> Plants() const {
    const std::string pem_body = std::string(3000, 'A') + "\n";
    return {
        key_,
        "Authorization: Bearer " + other_ + "\n",
        "body={\"x-api-key\": \"" + key_ + "\"}",
        "-----BEGIN RSA PRIVATE KEY-----\n" + pem_body + pem_body +
            "-----END RSA PRIVATE KEY-----\n",
        key_ + other_ + key_ + other_,  // a run of live secrets, no gap
        // 13 characters of a key's middle: one run the rule counts, that
        // no part of it on either side of a cut would.
        " " + key_.substr(12, 13) + " ",
        "pw " + short_ + " end",
        "q=" + Percent(other_),
        "{\"k\":\"" + other_.substr(0, 10) + JsonEscape(other_[10]) +
            other_.substr(11) + "\"}",
        "ghp_" + FreshKey(36),
    };
  }

  // FindSpans and FindSpansOnTwoThreads on `t`; true when they found
  // something (so that the comparison meant something).
  bool ExpectSame(const std::string& t, const std::string& what) {
    std::vector<Redactor::Span> one, two;
    r_.FindSpans(t, &one);
    r_.FindSpansOnTwoThreads(t, &two);
    EXPECT_EQ(one.size(), two.size()) << what;
    for (std::size_t i = 0; i < one.size() && i < two.size(); ++i) {
      EXPECT_EQ(one[i].begin, two[i].begin) << what << " span " << i;
      EXPECT_EQ(one[i].end, two[i].end) << what << " span " << i;
      EXPECT_EQ(one[i].hold_from, two[i].hold_from) << what << " span " << i;
    }
    return !one.empty();
  }

  Redactor r_;
  std::vector<std::unique_ptr<LiveSecret>> live_;
  std::string key_, other_, short_;
};

TEST_F(TwoThreadsScan, EveryMatchAcrossTheMiddleOfALargeText) {
  const std::string base = LogLines(Redactor::kTwoThreadsMin + 300000);
  const std::size_t mid = base.size() / 2;
  int found = 0, tried = 0;
  for (const std::string& plant : Plants()) {
    // Starting before the middle, at it, and ending across it.
    for (std::size_t back : {std::size_t{0}, std::size_t{1}, plant.size() / 2,
                             plant.size() - 1, plant.size() + 63}) {
      // A text with escapes is decoded whole (slow): one cut is enough.
      const bool escaped = plant.find_first_of("%\\") != std::string::npos;
      if (escaped && back != plant.size() / 2) continue;
      std::string t = base;
      t.insert(mid - std::min(back, mid), "\n" + plant);
      ++tried;
      const std::string what =
          plant.substr(0, 24) + " back " + std::to_string(back);
      const bool hit = ExpectSame(t, what);
      EXPECT_TRUE(hit) << what;
      found += hit;
      if (HasFailure()) return;
    }
  }
  EXPECT_EQ(found, tried);  // each plant was found
}

TEST_F(TwoThreadsScan, MatchesThatSpanMostOfTheText) {
  std::string t = LogLines(Redactor::kTwoThreadsMin * 2);
  // A PEM block from the first quarter to the last, a header value with
  // no line break to the end of the text, a key at the very end.
  std::string u = t;
  u.insert(u.size() / 4, "\n-----BEGIN PRIVATE KEY-----\n");
  u.insert(u.size() * 3 / 4, "\n-----END PRIVATE KEY-----\n");
  EXPECT_TRUE(ExpectSame(u, "PEM over half the text"));
  u = t;
  u.insert(u.size() / 3, "\n-----BEGIN EC PRIVATE KEY-----\n");  // no END
  EXPECT_TRUE(ExpectSame(u, "PEM cut off"));
  u = t + "Authorization: " + std::string(200000, 'x');
  EXPECT_TRUE(ExpectSame(u, "header value to the end"));
  u = t + key_;
  EXPECT_TRUE(ExpectSame(u, "key at the end"));
  EXPECT_FALSE(ExpectSame(t, "nothing"));
}

TEST_F(TwoThreadsScan, AroundTheSizeThatTakesTheHelper) {
  const std::string t = LogLines(Redactor::kTwoThreadsMin + 100);
  for (std::size_t size :
       {Redactor::kTwoThreadsMin - 1, Redactor::kTwoThreadsMin,
        Redactor::kTwoThreadsMin + 1}) {
    std::string u = t.substr(0, size - key_.size()) + key_;
    EXPECT_TRUE(ExpectSame(u, "size " + std::to_string(size)));
  }
}

TEST_F(TwoThreadsScan, ManyCallersAtOnce) {
  // One helper: while one caller holds it, the others scan alone (or take
  // back a job it has not begun). All must get the one-thread result.
  std::string t = LogLines(Redactor::kTwoThreadsMin + 1000);
  // Not the escaped plants: a text with escapes is decoded whole, on the
  // calling thread, which would make this test slow and prove no more.
  for (const std::string& plant : Plants()) {
    if (plant.find_first_of("%\\") == std::string::npos) {
      t.insert(t.size() / 2, "\n" + plant);
    }
  }
  std::vector<Redactor::Span> expected;
  r_.FindSpans(t, &expected);
  ASSERT_GE(expected.size(), 5u);
  std::vector<int> same(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int round = 0; round < 4; ++round) {
        std::vector<Redactor::Span> got;
        r_.FindSpansOnTwoThreads(t, &got);
        bool ok = got.size() == expected.size();
        for (std::size_t i = 0; ok && i < got.size(); ++i) {
          ok = got[i].begin == expected[i].begin &&
               got[i].end == expected[i].end;
        }
        same[k] += ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < 4; ++k) EXPECT_EQ(same[k], 4) << "thread " << k;
}

// Found in review: the helper thread's stack kept the rolling hash ring of
// the last run it scanned (secret_runs.cpp: prefix hashes of consecutive
// bytes; with the process's hash keys, the bytes themselves: a whole key a
// host had logged), and nothing else runs on that thread to overwrite it.
// The job here runs on the helper (the test waits until it has begun there),
// then the helper's dead stack below its stack pointer is read while it
// waits for the next job: no prefix hash of the key may be left.
struct RingJob {
  const redaction::PrintSet* set = nullptr;
  std::string_view text;
  std::vector<Redactor::Span> runs;
  std::atomic<long> tid{0};
};

void RunRingJob(void* arg) noexcept {
  auto* job = static_cast<RingJob*>(arg);
  job->tid = syscall(SYS_gettid);
  redaction::FindSecretRuns(*job->set, job->text, &job->runs);
}

// The stack pointer of thread `tid` while it is blocked in a system call
// (/proc/self/task/TID/syscall: "NR ARG1..ARG6 SP PC"); 0 while it runs.
std::uintptr_t BlockedStackPointer(long tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
  FILE* f = std::fopen(path, "r");
  if (!f) return 0;
  char line[512] = {0};
  const bool read = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  if (!read || line[0] < '0' || line[0] > '9') return 0;  // "running"
  unsigned long long v[9] = {0};
  if (std::sscanf(line, "%llu %llx %llx %llx %llx %llx %llx %llx %llx", &v[0],
                  &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
                  &v[8]) != 9) {
    return 0;
  }
  return static_cast<std::uintptr_t>(v[7]);
}

// Reads another thread's dead stack: outside what a sanitizer tracks.
__attribute__((no_sanitize("address"))) int CountWords(
    const std::uint64_t* from, std::size_t n,
    const std::vector<std::uint64_t>& wanted) {
  int hits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t w =
        reinterpret_cast<const volatile std::uint64_t*>(from)[i];
    for (std::uint64_t x : wanted) hits += w == x;
  }
  return hits;
}

// Redactor::RenderIntoOnTwoThreads writes exactly RenderInto's bytes,
// wherever the spans fall against the middle it splits at: none, one that
// covers the middle, one that starts or ends there, spans back to back
// around it, spans at both ends, and every size around the one that takes
// the helper. A wrong split offset, or a span written twice or not at
// all, shows as a byte that differs.
std::string RenderOneThread(std::string_view text,
                            const std::vector<Redactor::Span>& spans) {
  std::string out(Redactor::RenderedSize(text, spans), '\0');
  Redactor::RenderInto(text, spans, out.data());
  return out;
}

std::string RenderTwoThreads(std::string_view text,
                             const std::vector<Redactor::Span>& spans) {
  // Filled with a byte neither the text nor the marker holds, so a byte
  // left unwritten shows; 64 more of them after the result, so a write
  // past its end shows as a failed test, not as a corrupted heap.
  constexpr std::size_t kGuard = 64;
  const std::size_t size = Redactor::RenderedSize(text, spans);
  std::string out(size + kGuard, '\x01');
  Redactor::RenderIntoOnTwoThreads(text, spans, out.data());
  EXPECT_EQ(out.substr(size), std::string(kGuard, '\x01'))
      << "written past the end";
  out.resize(size);
  return out;
}

TEST(TwoThreadsRender, TheSameBytesWhereverTheSpansFall) {
  const std::string text = LogLines(Redactor::kTwoThreadsMin + 4099);
  const std::size_t n = text.size();
  const std::size_t mid = n / 2;
  using Spans = std::vector<Redactor::Span>;
  const std::vector<Spans> cases = {
      {},
      {{mid - 5, mid + 5, mid - 5}},
      {{mid, mid + 40, mid}},
      {{mid - 40, mid, mid - 40}},
      {{mid - 40, mid - 1, mid - 40}, {mid + 1, mid + 30, mid + 1}},
      {{mid - 3, mid + 1, mid - 3}, {mid + 2, mid + 9, mid + 2}},
      {{0, 12, 0}, {mid - 1, mid + 1, mid - 1}, {n - 12, n, n - 12}},
      {{0, n - 1, 0}},
      {{1, mid + mid / 2, 1}},
      {{mid / 2, n, mid / 2}},
      {{10, 20, 10}, {30, 35, 30}},
      {{n - 50, n - 40, n - 50}, {n - 5, n, n - 5}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string one = RenderOneThread(text, cases[i]);
    const std::string two = RenderTwoThreads(text, cases[i]);
    ASSERT_EQ(one.size(), two.size());
    EXPECT_TRUE(one == two);
  }
  // Many spans, spread evenly (the middle falls between two of them, or in
  // one, depending on the step).
  for (std::size_t step : {97u, 1000u, 4096u}) {
    Spans many;
    for (std::size_t at = 3; at + 20 < n; at += step)
      many.push_back({at, at + 20, at});
    SCOPED_TRACE(step);
    EXPECT_TRUE(RenderOneThread(text, many) == RenderTwoThreads(text, many));
  }
}

// Texts of 1 MiB or more are rendered with streaming stores, 64-byte lines
// past the caches (redaction/redactor.cpp, CopyStreaming, for pieces of
// 1024 bytes or more). Checked against a plain string built here, not
// against RenderInto, which takes the same path. Spans 11 bytes long (a
// marker is 10) move each following piece's output one byte against the
// 64-byte lines, so the pieces start at every offset in a line; the gaps
// between spans are 0 to 130 bytes, 960 to 1159 (across the 1024 from
// which a piece is streamed, every remainder of 64) and 1024 +- 64 (each
// length); the output starts at four offsets; sizes just under and over
// 1 MiB; Render into a string that held more, as much, less, nothing.
// A byte copied twice, skipped or written past the end shows, and so does
// a streamed path that was never taken (StreamedPiecesForTesting).
std::string PlainRender(std::string_view text,
                        const std::vector<Redactor::Span>& spans) {
  std::string out;
  std::size_t at = 0;
  for (const Redactor::Span& s : spans) {
    out.append(text.substr(at, s.begin - at));
    out.append(kRedactedMarker);
    at = s.end;
  }
  out.append(text.substr(at));
  return out;
}

// Spans of 11 bytes from `at`, the i-th followed by gap(i) bytes, up to n.
template <typename Gap>
std::vector<Redactor::Span> SpansWithGaps(std::size_t n, std::size_t at,
                                          Gap gap) {
  std::vector<Redactor::Span> spans;
  for (std::size_t i = 0; at + 11 <= n; ++i) {
    spans.push_back({at, at + 11, at});
    at += 11 + gap(i);
  }
  return spans;
}

TEST(LargeRender, StreamedPiecesMatchAPlainCopy) {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  const std::string big = LogLines(kMiB + 300000);
  using Spans = std::vector<Redactor::Span>;
  for (std::size_t n : {kMiB - 1, kMiB, big.size()}) {
    const std::string_view text(big.data(), n);
    const std::vector<Spans> cases = {
        SpansWithGaps(n, 5, [](std::size_t i) { return 960 + (i * 37) % 200; }),
        SpansWithGaps(n, 0,
                      [](std::size_t i) {
                        // 0 to 130 bytes, then 960 to 1088 in turn.
                        return i % 2 ? i % 131 : 960 + (i * 7) % 129;
                      }),
        Spans{},
        Spans{{0, 11, 0}},
        Spans{{n - 11, n, n - 11}},
        Spans{{1, 12, 1}, {13, 24, 13}, {n - 12, n - 1, n - 12}},
    };
    for (const Spans& s : cases) {
      SCOPED_TRACE(testing::Message()
                   << n << " bytes, " << s.size() << " spans");
      const std::string expected = PlainRender(text, s);
      const std::size_t size = expected.size();
      ASSERT_EQ(size, Redactor::RenderedSize(text, s));
      const std::uint64_t streamed = redaction::StreamedPiecesForTesting();
      for (std::size_t offset : {0, 1, 33, 63}) {
        std::string buf(offset + size + 64, '\x01');
        Redactor::RenderInto(text, s, buf.data() + offset);
        EXPECT_EQ(buf.substr(0, offset), std::string(offset, '\x01'));
        EXPECT_TRUE(buf.substr(offset, size) == expected) << offset;
        EXPECT_EQ(buf.substr(offset + size), std::string(64, '\x01'));
      }
#if defined(__x86_64__)
      // Four renders, each with at least one piece of 1024 bytes or more.
      if (n >= kMiB) {
        EXPECT_GE(redaction::StreamedPiecesForTesting(), streamed + 4);
      } else {
        EXPECT_EQ(redaction::StreamedPiecesForTesting(), streamed);
      }
#endif
      EXPECT_TRUE(RenderTwoThreads(text, s) == expected);
      // Into a string that held more, as much, less, nothing.
      for (std::size_t before : {size + 100, size, size / 2, std::size_t{0}}) {
        std::string out(before, '\x01');
        Redactor::Render(text, s, &out);
        EXPECT_TRUE(out == expected) << before;
      }
    }
  }
}

TEST(TwoThreadsRender, AroundTheSizeThatTakesTheHelper) {
  const std::string big = LogLines(Redactor::kTwoThreadsMin + 64);
  for (std::size_t n : {Redactor::kTwoThreadsMin - 1, Redactor::kTwoThreadsMin,
                        Redactor::kTwoThreadsMin + 1}) {
    const std::string_view text(big.data(), n);
    const std::vector<Redactor::Span> spans = {
        {n / 2 - 2, n / 2 + 2, n / 2 - 2}, {n - 3, n, n - 3}};
    SCOPED_TRACE(n);
    EXPECT_TRUE(RenderOneThread(text, spans) == RenderTwoThreads(text, spans));
  }
}

// Many threads render at once: one has the helper, the others write alone;
// every result is whole.
TEST(TwoThreadsRender, ManyCallersAtOnce) {
  const std::string text = LogLines(Redactor::kTwoThreadsMin + 1000);
  std::vector<Redactor::Span> spans;
  for (std::size_t at = 7; at + 30 < text.size(); at += 5003)
    spans.push_back({at, at + 30, at});
  const std::string want = RenderOneThread(text, spans);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i)
        if (RenderTwoThreads(text, spans) != want) ++bad;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(ScanWorkerStack, NoHashOfTheTextIsLeftOnTheHelpersStack) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's redzones and fake frames move the job's frames: the
  // plain build (build-native) checks this.
  GTEST_SKIP() << "frame layout differs under AddressSanitizer";
#endif
  redaction::ScanWorker* worker = redaction::ScanWorker::Get();
  ASSERT_NE(worker, nullptr);
  Redactor r;
  // Two keys of one shape (so one set of window lengths, at most four:
  // ScanRange's fixed paths): the first a run of 48 bytes, which
  // ScanRangeShort scans (prefix sums), the second inside a run of 78
  // bytes, which ScanRangeFixed scans (a ring of prefix hashes).
  const std::string key = "sk-proj-" + testing_util::FreshKey(40);
  const std::string long_run =
      testing_util::FreshKey(30) + "sk-proj-" + testing_util::FreshKey(40);
  const std::string key2 = long_run.substr(30);
  ASSERT_GT(long_run.size(), redaction::PrintSet::kShortRange);
  ASSERT_LE(key.size(), redaction::PrintSet::kShortRange);
  LiveSecret live(SecretValue::FromBytes(key.data(), key.size()), r);
  LiveSecret live2(SecretValue::FromBytes(key2.data(), key2.size()), r);
  // The helper's thread id: a job that only records it.
  RingJob probe;
  probe.set = &redaction::FingerprintStore::Get().Current();
  ASSERT_TRUE(worker->Post(RunRingJob, &probe));
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (probe.tid == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const long tid = probe.tid;
  worker->Join();
  ASSERT_NE(tid, 0) << "the helper did not begin a job in 20 s";
  ASSERT_NE(tid, syscall(SYS_gettid)) << "the job ran on the caller";
  // A large text whose last line holds the key, as redact() scans it: the
  // helper finds the runs (it is idle and the caller's share takes far
  // longer than its wake-up).
  std::string text = LogLines(std::size_t{1} << 20);
  text += "log line with " + long_run + " in it\n";
  text += "log line with " + key + " in it\n";
  std::vector<Redactor::Span> spans;
  r.FindSpansOnTwoThreads(text, &spans);
  ASSERT_EQ(spans.size(), 2u) << "the keys were not found: not a scan of them";
  // The helper goes back to waiting for a job: blocked in futex.
  std::uintptr_t sp = 0;
  while ((sp = BlockedStackPointer(tid)) == 0 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_NE(sp, 0u) << "could not read the helper's stack pointer";
  // What the scans leave, from the start of each run (secret_runs.cpp):
  // ScanRangeFixed's ring m(e) = m(e-1) * base + byte * mix, ScanRangeAny's
  // prefix(e) = prefix(e-1) * base + byte, and ScanRangeShort's prefix sums
  // s(e) = s(e-1) + byte * mix * base^-(e-1). Each gives the bytes back to
  // anyone with the process's keys.
  const auto& keys = redaction::FingerprintStore::Get().keys();
  std::uint64_t inv = keys.base;  // base^-1 mod 2^64 (Newton's iteration)
  for (int k = 0; k < 5; ++k) inv *= 2 - keys.base * inv;
  ASSERT_EQ(inv * keys.base, 1u);
  auto words = [&](const std::string& run, bool sums) {
    std::vector<std::uint64_t> out;
    std::uint64_t m = 0, prefix = 0, s = 0, mix_inv = keys.mix;
    for (unsigned char c : run) {
      m = m * keys.base + c * keys.mix;
      prefix = prefix * keys.base + c;
      s += c * mix_inv;
      mix_inv *= inv;
      if (sums) {
        out.push_back(s);
      } else {
        out.push_back(m);
        out.push_back(prefix);
      }
    }
    return out;
  };
  constexpr std::size_t kBelow = 32 * 1024;
  const auto* from = reinterpret_cast<const std::uint64_t*>((sp - kBelow) &
                                                            ~std::uintptr_t{7});
  EXPECT_EQ(CountWords(from, kBelow / 8, words(key, true)), 0)
      << "prefix sums of the short run's key are left on the helper's stack";
  EXPECT_EQ(CountWords(from, kBelow / 8, words(long_run, false)), 0)
      << "prefix hashes of the long run's key are left on the helper's stack";
}

}  // namespace
}  // namespace keyref
