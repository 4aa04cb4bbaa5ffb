// Server-sent events packed for one hand-over to JavaScript: the text of
// every field in one buffer, and where each field ends, counted in UTF-16
// code units (what a JavaScript string's indexes count). The addon makes
// ONE string of the text and one Uint32Array of the ends per batch, and the
// TypeScript wrapper slices the fields out (addon/ts/request.ts): a handful
// of N-API calls per batch instead of three strings per event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/sse_parser.h"

namespace keyref {

// Appends `in` to `out` as valid UTF-8: every ill-formed sequence is
// replaced by U+FFFD, one per maximal subpart (the Unicode and WHATWG
// "UTF-8 decode" rule, which V8 follows when it makes a string from
// UTF-8). So a string made from each field alone and a slice of one string
// made from all fields together are equal, even when a field ends inside a
// sequence that the next one would complete. Returns the UTF-16 length of
// what was appended.
std::size_t AppendUtf8ForJs(std::string_view in, std::string* out);

class SseBatch {
 public:
  // Appends one event's fields (data, event, id), already scrubbed.
  void Append(const SseEvent& event);
  // Appends every event of `other`.
  void Append(const SseBatch& other);

  // The fields' text, valid UTF-8, in order: data, event, id per event.
  std::string_view text() const { return text_; }
  // Three per event: the UTF-16 offset in text() where its data, event and
  // id end (each field starts where the one before it ends).
  const std::vector<std::uint32_t>& ends() const { return ends_; }
  std::size_t events() const { return ends_.size() / 3; }
  bool empty() const { return ends_.empty(); }
  // Empties the batch; keeps its buffers' capacity for the next one.
  void Clear();

 private:
  std::string text_;
  std::vector<std::uint32_t> ends_;
  std::uint64_t units_ = 0;  // UTF-16 length of text_
};

}  // namespace keyref
