// The redactor: the one place every string keyref hands out passes through
// (responses, events, errors, log lines). See docs/redaction.md and, for
// what it promises to whom, docs/threat-model.md.
//
// It replaces with kRedactedMarker: every value resolved in the process
// (live, or remembered by keyed fingerprints after it was wiped, within a
// memory bound) and its common encodings (base64 at any byte alignment,
// base64url, JSON \u escapes, percent-encoding of any byte), and any run of
// one that holds at least 12 of its characters outside its family's public
// prefix and its last 4 characters (more for small alphabets, so that a run
// carries >= 64 bits); credential shapes; and the values of credential
// headers. Shorter runs never count, so no probe can confirm a guess about
// less than that (docs/threat-model.md, "No oracle").
//
// Matching is byte-based: text need not be UTF-8 (binary and invalid UTF-8
// are scrubbed like any bytes and never crash). A redacted span that would
// start or end inside a UTF-8 sequence is widened to the whole sequence, so
// valid UTF-8 in gives valid UTF-8 out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/secret_value.h"

namespace keyref {

inline constexpr std::string_view kRedactedMarker = "[REDACTED]";

class Redactor {
 public:
  Redactor();
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // Registers a value that is live in this instance (called when it is
  // resolved). Also records its process-wide fingerprints. Thread-safe.
  // Returns an id for Forget.
  std::uint64_t Register(const SecretValue& value);
  // Forgets a live value (called when it is wiped). Its fingerprints stay
  // (until the store's memory bound evicts them; docs/redaction.md).
  void Forget(std::uint64_t id) noexcept;
  // Forgets every live value (close()).
  void ForgetAll() noexcept;

  // Scrubs `text`. Returns false, leaving *out untouched, when nothing needed
  // replacing (so callers can hand the original on without a copy). A
  // string reused from call to call saves more than the allocation: a
  // result of 1 MiB or more is written in place, past the caches, when the
  // string already holds as many bytes (Render). `out` must not hold `text`.
  bool Scrub(std::string_view text, std::string* out) const;
  // Scrub, always returning a string.
  std::string Redact(std::string_view text) const;
  // True when Scrub would change `text`.
  bool Contains(std::string_view text) const;

  // One span to replace: [begin, end). `hold_from` is where a streaming
  // caller must hold back from when the span touches the end of the text
  // (for a header value it is the header name, which must be seen again).
  struct Span {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t hold_from = 0;
  };
  // Appends the merged, sorted spans Scrub would replace. For StreamScrubber
  // and tests; the spans say where, never what.
  void FindSpans(std::string_view text, std::vector<Span>* out) const;

  // What FindSpans reuses from one call to the next on one thread: the
  // scan's vectors (positions, never text) and a reference to the
  // fingerprint set it last read (which keeps that set alive until the next
  // call or the workspace's end). Not thread-safe: one per thread.
  class Workspace {
   public:
    Workspace();
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

   private:
    friend class Redactor;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };
  // FindSpans with the caller's workspace instead of a thread-local one: a
  // caller that keeps its own per-thread state (the addon) saves the
  // thread-local lookups of a call, which in a shared object each cost a
  // __tls_get_addr call (docs/performance.md).
  void FindSpans(std::string_view text, std::vector<Span>* out,
                 Workspace* workspace) const;
  // Texts at least this long are worth a second thread (FindSpansOnTwoThreads).
  static constexpr std::size_t kTwoThreadsMin = std::size_t{1} << 20;
  // FindSpans, the same spans, with the scan of a text of kTwoThreadsMin
  // bytes or more shared between the calling thread and one helper thread
  // (started once per process; the caller scans alone when it is busy or
  // cannot run). The helper reads `text` in place and keeps no copy of it
  // (docs/threat-model.md); the call returns only once it is done with it.
  void FindSpansOnTwoThreads(std::string_view text,
                             std::vector<Span>* out) const;
  // FindSpansOnTwoThreads with the caller's workspace (as FindSpans).
  void FindSpansOnTwoThreads(std::string_view text, std::vector<Span>* out,
                             Workspace* workspace) const;
  // Widens the spans from index `first` on to whole UTF-8 sequences, then
  // sorts and merges overlapping or touching ones (one marker each).
  static void MergeSpans(std::string_view text, std::vector<Span>* spans,
                         std::size_t first = 0);
  // Writes `text` with `spans` (sorted, disjoint) replaced by the marker.
  // From 1 MiB of text, into a string that already holds as many bytes:
  // written in place with streaming stores (redaction/redactor.cpp,
  // CopyStreaming); RenderInto and RenderIntoOnTwoThreads write such texts
  // the same way.
  static void Render(std::string_view text, const std::vector<Span>& spans,
                     std::string* out);
  // How many bytes Render writes for `text` and `spans`.
  static std::size_t RenderedSize(std::string_view text,
                                  const std::vector<Span>& spans);
  // Render into `out`, which has room for RenderedSize(text, spans) bytes:
  // for a caller that places the result in memory of its own (the addon's
  // large results, written straight into the memory their string uses).
  static void RenderInto(std::string_view text, const std::vector<Span>& spans,
                         char* out);
  // RenderInto, the same bytes, with a text of kTwoThreadsMin bytes or more
  // written half by the caller and half by the helper thread of
  // FindSpansOnTwoThreads (the caller writes it all when the helper is busy
  // or cannot run). Returns once both halves are written.
  static void RenderIntoOnTwoThreads(std::string_view text,
                                     const std::vector<Span>& spans,
                                     char* out) noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Scrubs a stream (an SSE body, a chunked response) chunk by chunk, so that a
// secret split across two chunks is still caught.
//
//   StreamScrubber s(redactor);
//   for (each chunk) Emit(s.Write(chunk));  // may return less than it got
//   Emit(s.Finish());                       // the rest, at end of stream
//
// Write holds back the tail of what it has seen: at least the last
// kHoldback bytes (enough for any pattern's prefix and for a fingerprint
// window less one), from the start of the last token a credential shape or
// an escaped secret could belong to (letters, digits, - _ + / = . ~ % \), and
// from the start of any span that touches the end (a
// header line without its line break yet, a PEM block without its END line).
// The carry never grows past kMaxCarry: beyond that the oldest part is
// emitted scrubbed as it stands. A cut never falls inside a UTF-8 sequence.
// Everything returned has been scrubbed.
// Concatenating every return value gives the same result as scrubbing the
// whole stream at once, except at those forced flushes. Not thread-safe; one
// per stream. The redactor must outlive it.
class StreamScrubber {
 public:
  static constexpr std::size_t kHoldback = 128;
  static constexpr std::size_t kMaxCarry = 64 * 1024;

  explicit StreamScrubber(const Redactor& redactor) : redactor_(redactor) {}
  // With a smaller fixed holdback (0 for text shown as it streams, such as
  // chat deltas): then only the rules that look at the text itself hold
  // anything back: the last token, and the token before it when it can
  // name a credential ("password:", "api_key=", "Bearer"), and spans that
  // touch the end. Never anything that depends on a secret: what is held
  // must not tell the reader whether a prefix matched.
  StreamScrubber(const Redactor& redactor, std::size_t holdback)
      : redactor_(redactor), holdback_(holdback) {}
  ~StreamScrubber();
  StreamScrubber(const StreamScrubber&) = delete;
  StreamScrubber& operator=(const StreamScrubber&) = delete;

  // Takes the next chunk; returns the scrubbed bytes that are safe to emit.
  std::string Write(std::string_view chunk);
  // End of stream: returns everything still held, scrubbed.
  std::string Finish();
  // Returns what is held, unscrubbed, and empties the scrubber: for a
  // caller that keeps the carry between calls itself (the addon's
  // redactStream, where the carry goes back to the JavaScript that gave
  // it). Holds only bytes the caller gave; never a whole secret.
  std::string Release();

 private:
  const Redactor& redactor_;
  std::size_t holdback_ = kHoldback;
  std::string carry_;  // wiped on destruction: it may hold part of a secret
};

}  // namespace keyref
