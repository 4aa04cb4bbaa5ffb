// An incremental parser for server-sent events (the WHATWG "event stream"
// format): bytes in, in whatever chunks the socket gives; whole events out.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace keyref {

// One dispatched event. `event` is empty for the default type ("message").
struct SseEvent {
  std::string event;
  std::string data;  // data lines joined with "\n"
  std::string id;
  long retry = -1;  // the last valid retry field, -1 if none
};

// Feeds bytes; calls the sink for every complete event, in order. Lines end
// in CRLF, LF or CR, and a CRLF split across two chunks counts once. Comment
// lines (":…") are skipped. An event is dispatched on a blank line; a stream
// that ends without one drops the unfinished event, as the spec says.
class SseParser {
 public:
  using Sink = std::function<bool(SseEvent&&)>;
  // Returning false from the sink stops parsing (Feed returns false).
  explicit SseParser(Sink sink) : sink_(std::move(sink)) {}

  // Parses one chunk. Returns false when the sink asked to stop or a line
  // grew past max_line_bytes (then the stream is considered malformed).
  bool Feed(std::string_view chunk);

  // Bytes buffered for an unfinished line and event (for memory bounds).
  std::size_t buffered() const { return line_.size() + data_.size(); }

  static constexpr std::size_t kMaxLineBytes = 16 * 1024 * 1024;

 private:
  bool Line(std::string_view line);

  Sink sink_;
  std::string line_;
  std::string event_;
  std::string data_;
  std::string id_;
  long retry_ = -1;
  bool has_data_ = false;
  bool after_cr_ = false;        // the last chunk ended with CR
  bool started_ = false;         // past the optional BOM
  std::size_t bom_matched_ = 0;  // BOM bytes seen so far, before started_
};

}  // namespace keyref
