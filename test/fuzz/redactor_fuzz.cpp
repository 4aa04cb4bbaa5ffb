// Fuzzes the redactor and the stream scrubber with planted secrets.
// Property (docs/redaction.md): a text holding live secrets, fed to a
// StreamScrubber in random splits, comes out with every planted secret gone
// from the joined output; so does Redactor::Redact of the whole text. The
// property is stated on whole secrets only, so it holds whatever rules the
// redactor uses for parts of them.
//
// Secrets are drawn from lowercase letters and digits (at least 12 bytes),
// which the marker "[REDACTED]" cannot form together with the text around
// it. They come from a fixed pool of 256 (random ones, and periodic ones
// such as "abababab…" that stress the run matching): the fingerprint store is
// process-wide and never shrinks, so fresh secrets per input would grow it
// without bound over millions of runs. Texts stay under
// StreamScrubber::kMaxCarry (the forced-flush bound, documented as the one
// exception to whole-stream equivalence).
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "keyref/live_secret.h"
#include "keyref/redactor.h"
#include "keyref/secret_value.h"

using keyref::fuzz::Check;

namespace {

std::vector<std::string> MakePool() {
  static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::uint64_t x = 0x9e3779b97f4a7c15u;  // fixed: runs are reproducible
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::vector<std::string> pool;
  for (int i = 0; i < 256; ++i) {
    std::size_t n = 12 + next() % 53;
    std::size_t period = i < 192 ? n : 1 + i % 8;  // the last 64: periodic
    std::string unit;
    for (std::size_t j = 0; j < period; ++j) unit.push_back(abc[next() % 36]);
    std::string s;
    while (s.size() < n) s += unit;
    s.resize(n);
    pool.push_back(s);
  }
  return pool;
}

const std::string& PickSecret(keyref::fuzz::Input& in) {
  static const std::vector<std::string> pool = MakePool();
  return pool[in.Byte()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  static keyref::Redactor* redactor = new keyref::Redactor();
  const std::size_t n_secrets = 1 + in.Byte() % 3;
  std::vector<std::string> secrets;
  for (std::size_t i = 0; i < n_secrets; ++i) secrets.push_back(PickSecret(in));
  const std::size_t n_plants = 1 + in.Byte() % 4;
  std::vector<std::pair<std::size_t, std::size_t>> plants;  // (secret, at)
  for (std::size_t i = 0; i < n_plants; ++i) {
    plants.emplace_back(in.Byte() % n_secrets, in.Range(0, 0xffff));
  }
  std::vector<std::size_t> cuts;
  const std::size_t n_cuts = in.Byte() % 24;
  for (std::size_t i = 0; i < n_cuts; ++i) cuts.push_back(in.Range(0, 300));

  std::string text(in.Take(keyref::StreamScrubber::kMaxCarry / 2));
  for (const auto& [which, at] : plants) {
    text.insert(text.empty() ? 0 : at % (text.size() + 1), secrets[which]);
  }

  std::vector<keyref::LiveSecret> live;
  for (const std::string& s : secrets) {
    live.emplace_back(keyref::SecretValue::FromBytes(s.data(), s.size()),
                      *redactor);
  }

  std::string joined;
  {
    keyref::StreamScrubber scrubber(*redactor);
    std::size_t pos = 0;
    for (std::size_t c : cuts) {
      std::size_t n = std::min(c, text.size() - pos);
      joined += scrubber.Write(std::string_view(text).substr(pos, n));
      pos += n;
    }
    joined += scrubber.Write(std::string_view(text).substr(pos));
    joined += scrubber.Finish();
  }
  const std::string whole = redactor->Redact(text);
  for (const std::string& s : secrets) {
    Check(joined.find(s) == std::string::npos,
          "a planted secret survived the stream scrubber");
    Check(whole.find(s) == std::string::npos,
          "a planted secret survived Redact");
  }
  Check(redactor->Contains(text), "Contains misses a planted secret");
  return 0;
}
