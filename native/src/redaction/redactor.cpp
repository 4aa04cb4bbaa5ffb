// The redactor: fingerprints of every value ever registered (rule 1: whole
// values, and the runs the no-oracle rule counts, incl. encodings;
// redaction/fingerprints.cpp, redaction/secret_runs.cpp, and
// docs/threat-model.md), exact matches of live values too short to
// fingerprint, credential shapes (rule 2, shared
// with the ref parser) and credential header values (rule 3,
// redaction/header_rule.cpp). All spans are merged and replaced by one
// marker each.
#include "keyref/redactor.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#if defined(__x86_64__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

#include "keyref/credential_shape.h"
#include "redaction/internal.h"
#include "redaction/one_pass.h"
#include "redaction/scan_worker.h"

namespace keyref {
namespace {

// Live values shorter than a fingerprint window are matched exactly while
// they are live. Below this length a "secret" would redact ordinary words
// everywhere, so it is not matched at all (docs/redaction.md).
constexpr std::size_t kMinExactLength = 4;

// Texts this large are rendered with streaming stores (RenderRange).
constexpr std::size_t kStreamMin = std::size_t{1} << 20;

using ShortValues = std::vector<std::shared_ptr<const SecretValue>>;

inline bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

struct Redactor::State {
  std::mutex mu;  // serialises Register/Forget; Scrub reads `shorts` only
  std::uint64_t next_id = 1;
  // A live value shorter than 8 bytes, held once however many LiveSecrets
  // hold it: a copy in locked pages, wiped when the last one is forgotten
  // (SecretValue's destructor).
  struct Short {
    std::shared_ptr<const SecretValue> value;
    std::size_t refs = 0;
  };
  // Few entries (the distinct short values live in one instance), so a
  // linear search with the constant-time Equals: exact, no digest needed.
  std::vector<Short> live_short;
  // Which short value each id holds.
  std::map<std::uint64_t, const SecretValue*> short_ids;
  // Which remembered value each id of a longer value holds: released when
  // it is forgotten, so that the store may evict it once no one holds it.
  std::map<std::uint64_t, redaction::FingerprintStore::Digest> long_ids;
  // What Scrub reads: an immutable list swapped atomically. Rebuilt only
  // when the set of distinct short values changes.
  std::shared_ptr<const ShortValues> shorts = std::make_shared<ShortValues>();
  // How many values `shorts` holds, stored after it (release): most
  // instances hold none, and then Scrub skips the locked std::atomic_load.
  std::atomic<std::size_t> short_count{0};

  // What FindSpans does once the rules that read the whole text ran: the
  // short values, then every span merged.
  void Collect(std::string_view text, const redaction::OnePass& found,
               std::vector<Span>* out) const;
  // Collect would add nothing: no rule found a span and no short value is
  // live (most log lines). Inline, so that such a text makes no call into
  // Collect, whose frame is a short text's fixed cost (docs/performance.md,
  // "per-call, eighth pass").
  bool NothingToCollect(const redaction::OnePass& found) const {
    return found.runs.empty() && found.shapes.empty() &&
           found.headers.empty() &&
           short_count.load(std::memory_order_acquire) == 0;
  }

  void Publish() {
    auto next = std::make_shared<ShortValues>();
    for (const Short& entry : live_short) next->push_back(entry.value);
    const std::size_t count = next->size();
    std::atomic_store(&shorts,
                      std::shared_ptr<const ShortValues>(std::move(next)));
    short_count.store(count, std::memory_order_release);
  }
};

Redactor::Redactor() : state_(std::make_unique<State>()) {}
Redactor::~Redactor() { ForgetAll(); }

std::uint64_t Redactor::Register(const SecretValue& value) {
  // Fingerprints first: from here on the value is caught, by every
  // instance, while it is live and afterwards until the store's memory
  // bound evicts it. A value seen before costs one keyed hash here
  // (FingerprintStore::Acquire).
  redaction::FingerprintStore::Digest digest;
  auto& store = redaction::FingerprintStore::Get();
  const bool stored = store.Acquire(value.Reveal(), &digest);
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t id = state_->next_id++;
  if (stored) {
    try {
      state_->long_ids.emplace(id, digest);
    } catch (...) {
      store.Release(digest);
      throw;
    }
    return id;
  }
  if (value.size() < kMinExactLength) return id;
  auto& shorts = state_->live_short;
  auto it = std::find_if(shorts.begin(), shorts.end(),
                         [&](const auto& e) { return e.value->Equals(value); });
  if (it == shorts.end()) {
    shorts.push_back({std::make_shared<const SecretValue>(value.Clone()), 0});
    try {
      state_->Publish();
    } catch (...) {
      shorts.pop_back();  // not matched: refuse the registration
      throw;
    }
    it = shorts.end() - 1;
  }
  state_->short_ids.emplace(id, it->value.get());
  ++it->refs;
  return id;
}

void Redactor::Forget(std::uint64_t id) noexcept {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto remembered = state_->long_ids.find(id);
  if (remembered != state_->long_ids.end()) {
    redaction::FingerprintStore::Get().Release(remembered->second);
    state_->long_ids.erase(remembered);
    return;
  }
  auto held = state_->short_ids.find(id);
  if (held == state_->short_ids.end()) return;
  const SecretValue* value = held->second;
  state_->short_ids.erase(held);
  auto& shorts = state_->live_short;
  auto it = std::find_if(shorts.begin(), shorts.end(),
                         [&](const auto& e) { return e.value.get() == value; });
  if (it == shorts.end() || --it->refs > 0) return;  // still live elsewhere
  shorts.erase(it);
  try {
    state_->Publish();
  } catch (...) {
    // Out of memory: the stale list keeps the value matched, which is the
    // safe direction.
  }
}

void Redactor::ForgetAll() noexcept {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const auto& [id, digest] : state_->long_ids) {
    redaction::FingerprintStore::Get().Release(digest);
  }
  state_->long_ids.clear();
  state_->short_ids.clear();
  if (state_->live_short.empty()) return;
  state_->live_short.clear();
  try {
    state_->Publish();
  } catch (...) {
  }
}

struct Redactor::Workspace::Impl {
  // Reused: no allocation per call (the fixed cost of a short text). Holds
  // positions only, never text.
  redaction::OnePass found;
  redaction::FingerprintStore::SetCache prints;
};

Redactor::Workspace::Workspace() : impl_(std::make_unique<Impl>()) {}
Redactor::Workspace::~Workspace() = default;

namespace {

// The workspace of the calls that bring none.
Redactor::Workspace& ThreadWorkspace() {
  thread_local Redactor::Workspace workspace;
  return workspace;
}

}  // namespace

void Redactor::FindSpans(std::string_view text, std::vector<Span>* out) const {
  FindSpans(text, out, &ThreadWorkspace());
}

void Redactor::FindSpans(std::string_view text, std::vector<Span>* out,
                         Workspace* workspace) const {
  redaction::OnePass& found = workspace->impl_->found;
  redaction::ScanOnce(
      redaction::FingerprintStore::Get().Current(&workspace->impl_->prints),
      text, &found);
  if (state_->NothingToCollect(found)) return;
  state_->Collect(text, found, out);
}

void Redactor::FindSpansOnTwoThreads(std::string_view text,
                                     std::vector<Span>* out) const {
  FindSpansOnTwoThreads(text, out, &ThreadWorkspace());
}

void Redactor::FindSpansOnTwoThreads(std::string_view text,
                                     std::vector<Span>* out,
                                     Workspace* workspace) const {
  if (text.size() < kTwoThreadsMin) return FindSpans(text, out, workspace);
  redaction::OnePass& found = workspace->impl_->found;
  // The set the workspace holds stays valid while the helper reads it: it
  // is replaced only by this workspace's next call.
  redaction::ScanOnceOnTwoThreads(
      redaction::FingerprintStore::Get().Current(&workspace->impl_->prints),
      text, &found);
  state_->Collect(text, found, out);
}

void Redactor::State::Collect(std::string_view text,
                              const redaction::OnePass& found,
                              std::vector<Span>* out) const {
  std::size_t first = out->size();
  // Most texts have nothing: no call into vector's range insert for them.
  if (!found.runs.empty()) {
    out->insert(out->end(), found.runs.begin(), found.runs.end());
  }
  if (short_count.load(std::memory_order_acquire) != 0) {
    auto list = std::atomic_load(&shorts);
    for (const auto& v : *list) {
      // Not text.find: its time tells how much of the value a text
      // matched (redaction/short_values.cpp).
      redaction::FindShortValue(text, v->Reveal(), out);
    }
    redaction::WipeShortValueFrame();
  }
  for (const CredentialMatch& m : found.shapes) {
    out->push_back({m.begin, m.end, m.begin});
  }
  if (!found.headers.empty()) {
    out->insert(out->end(), found.headers.begin(), found.headers.end());
  }
  if (out->size() == first) return;

  MergeSpans(text, out, first);
}

void Redactor::MergeSpans(std::string_view text, std::vector<Span>* out,
                          std::size_t first) {
  if (out->size() <= first) return;
  // Byte-based matching may cut a UTF-8 sequence: widen to whole sequences
  // so that valid UTF-8 stays valid.
  for (std::size_t i = first; i < out->size(); ++i) {
    Span& s = (*out)[i];
    for (int k = 0; k < 3 && s.begin > 0 && IsContinuation(text[s.begin]);
         ++k) {
      --s.begin;
    }
    for (int k = 0; k < 3 && s.end < text.size() && IsContinuation(text[s.end]);
         ++k) {
      ++s.end;
    }
    s.hold_from = std::min(s.hold_from, s.begin);
  }
  // Sort and merge overlapping or touching spans (one marker each).
  auto begin = out->begin() + static_cast<std::ptrdiff_t>(first);
  std::sort(begin, out->end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  auto w = begin;
  for (auto r = begin + 1; r != out->end(); ++r) {
    if (r->begin <= w->end) {
      w->end = std::max(w->end, r->end);
      w->hold_from = std::min(w->hold_from, r->hold_from);
    } else {
      *++w = *r;
    }
  }
  out->erase(w + 1, out->end());
}

void Redactor::Render(std::string_view text, const std::vector<Span>& spans,
                      std::string* out) {
  // A large text into a string that already holds as many bytes (a
  // caller's last result, reused): written in place, past the caches
  // (RenderRange). Not into one that must grow: resize() would fill the
  // growth through the caches first, a pass more than append's.
  if (text.size() >= kStreamMin) {
    const std::size_t size = RenderedSize(text, spans);
    if (out->size() >= size) {
      out->resize(size);  // shrinks or stays: no fill
      RenderInto(text, spans, out->data());
      return;
    }
  }
  out->clear();
  out->reserve(text.size() + spans.size() * kRedactedMarker.size());
  std::size_t at = 0;
  for (const Span& s : spans) {
    out->append(text.data() + at, s.begin - at);
    out->append(kRedactedMarker);
    at = s.end;
  }
  out->append(text.data() + at, text.size() - at);
}

std::size_t Redactor::RenderedSize(std::string_view text,
                                   const std::vector<Span>& spans) {
  std::size_t size = text.size();
  for (const Span& s : spans)
    size += kRedactedMarker.size() - (s.end - s.begin);
  return size;
}

namespace {

// Pieces CopyStreaming wrote with streaming stores (StreamedPiecesForTesting).
std::atomic<std::uint64_t> g_streamed_pieces{0};

// memcpy for a large result: written once and read later, if at all, by
// someone else (the host, as a string), so it is written past the caches
// rather than through them, where each line would be read before it is
// written and would evict the text being scrubbed. 64-byte lines with
// SSE2, which every x86-64 has (AVX2's 32-byte stores measured 1 % better
// on the copy; not worth a second path). Measured on 8 MB: the copy -15 to
// -35 %, Scrub -1 to -9 % by the machine's state (docs/performance.md, "The
// eighth stop"). The caller fences (EndStreaming) before the result is
// handed on.
void CopyStreaming(char* dst, const char* src, std::size_t n) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  if (n >= 1024) {
    g_streamed_pieces.fetch_add(1, std::memory_order_relaxed);
    const std::size_t lead =
        (64 - (reinterpret_cast<std::uintptr_t>(dst) & 63)) & 63;
    std::memcpy(dst, src, lead);
    dst += lead;
    src += lead;
    n -= lead;
    for (; n >= 64; n -= 64, dst += 64, src += 64) {
      const auto* from = reinterpret_cast<const __m128i*>(src);
      auto* to = reinterpret_cast<__m128i*>(dst);
      const __m128i a = _mm_loadu_si128(from);
      const __m128i b = _mm_loadu_si128(from + 1);
      const __m128i c = _mm_loadu_si128(from + 2);
      const __m128i d = _mm_loadu_si128(from + 3);
      _mm_stream_si128(to, a);
      _mm_stream_si128(to + 1, b);
      _mm_stream_si128(to + 2, c);
      _mm_stream_si128(to + 3, d);
    }
  }
#endif
  std::memcpy(dst, src, n);
}

// Streaming stores are weakly ordered: fenced before another thread (the
// caller joining the helper, or the host) reads the result.
void EndStreaming() noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  _mm_sfence();
#endif
}

// text[from, to) with the spans [first, last) (all inside it) replaced,
// written at `out`; past the caches when the whole text is large.
void RenderRange(std::string_view text, const Redactor::Span* first,
                 const Redactor::Span* last, std::size_t from, std::size_t to,
                 char* out) noexcept {
  const bool stream = text.size() >= kStreamMin;
  auto copy = [&](const char* src, std::size_t n) {
    if (stream) {
      CopyStreaming(out, src, n);
    } else {
      std::memcpy(out, src, n);
    }
    out += n;
  };
  std::size_t at = from;
  for (const Redactor::Span* s = first; s != last; ++s) {
    copy(text.data() + at, s->begin - at);
    std::memcpy(out, kRedactedMarker.data(), kRedactedMarker.size());
    out += kRedactedMarker.size();
    at = s->end;
  }
  copy(text.data() + at, to - at);
  if (stream) EndStreaming();
}

// The helper's half of RenderIntoOnTwoThreads.
struct RenderJob {
  std::string_view text;
  const Redactor::Span* first;
  const Redactor::Span* last;
  std::size_t from;
  char* out;
};

void RenderJobRun(void* arg) noexcept {
  const auto* job = static_cast<const RenderJob*>(arg);
  RenderRange(job->text, job->first, job->last, job->from, job->text.size(),
              job->out);
}

}  // namespace

namespace redaction {
std::uint64_t StreamedPiecesForTesting() noexcept {
  return g_streamed_pieces.load(std::memory_order_relaxed);
}
}  // namespace redaction

void Redactor::RenderInto(std::string_view text, const std::vector<Span>& spans,
                          char* out) {
  RenderRange(text, spans.data(), spans.data() + spans.size(), 0, text.size(),
              out);
}

void Redactor::RenderIntoOnTwoThreads(std::string_view text,
                                      const std::vector<Span>& spans,
                                      char* out) noexcept {
  redaction::ScanWorker* worker =
      text.size() >= kTwoThreadsMin ? redaction::ScanWorker::Get() : nullptr;
  if (!worker) return RenderInto(text, spans, out);
  // The split: the middle of the text, or the end of the span that covers
  // it. The caller writes text[0, mid) and the spans before it; the helper
  // the rest, from where the caller's output ends.
  const Span* first = spans.data();
  const Span* last = first + spans.size();
  std::size_t mid = text.size() / 2;
  const Span* split = std::lower_bound(
      first, last, mid,
      [](const Span& s, std::size_t at) { return s.begin < at; });
  if (split != first && (split - 1)->end > mid) mid = (split - 1)->end;
  std::size_t head = mid;
  for (const Span* s = first; s != split; ++s)
    head += kRedactedMarker.size() - (s->end - s->begin);
  // The job lives in this frame: nothing between Post and Join may throw
  // (this function is noexcept).
  RenderJob job{text, split, last, mid, out + head};
  if (!worker->Post(&RenderJobRun, &job)) return RenderInto(text, spans, out);
  RenderRange(text, first, split, 0, mid, out);
  worker->Join();
}

bool Redactor::Scrub(std::string_view text, std::string* out) const {
  std::vector<Span> spans;
  FindSpans(text, &spans);
  if (spans.empty()) return false;  // no copy
  Render(text, spans, out);
  return true;
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out;
  if (Scrub(text, &out)) return out;
  return std::string(text);
}

bool Redactor::Contains(std::string_view text) const {
  std::vector<Span> spans;
  FindSpans(text, &spans);
  return !spans.empty();
}

}  // namespace keyref
