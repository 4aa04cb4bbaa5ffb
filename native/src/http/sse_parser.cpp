#include "keyref/sse_parser.h"

#include <utility>

namespace keyref {
namespace {

// The first CR or LF at or after `from`, or npos. (string_view's
// find_first_of tests each byte against the set through a call; this is
// the parser's hot loop.)
std::size_t FindLineEnd(std::string_view s, std::size_t from) {
  const char* p = s.data();
  for (std::size_t i = from, n = s.size(); i < n; ++i) {
    if (p[i] == '\n' || p[i] == '\r') return i;
  }
  return std::string_view::npos;
}

}  // namespace

bool SseParser::Feed(std::string_view chunk) {
  // A UTF-8 BOM may open the stream; it is not part of the first line. It
  // may arrive split across chunks, so it is matched byte by byte; bytes
  // that turn out not to be a BOM go back to the line.
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  while (!started_ && !chunk.empty()) {
    if (chunk[0] != kBom[bom_matched_]) {
      line_.assign(kBom.data(), bom_matched_);
      started_ = true;
      break;
    }
    chunk.remove_prefix(1);
    started_ = ++bom_matched_ == kBom.size();
  }
  std::size_t i = 0;
  if (after_cr_ && !chunk.empty()) {
    after_cr_ = false;
    if (chunk[0] == '\n') i = 1;  // the LF of a CRLF split across chunks
  }
  while (i < chunk.size()) {
    std::size_t end = FindLineEnd(chunk, i);
    if (end == std::string_view::npos) {
      line_.append(chunk.data() + i, chunk.size() - i);
      if (line_.size() > kMaxLineBytes) return false;
      return true;
    }
    bool ok;
    if (line_.empty()) {
      ok = Line(chunk.substr(i, end - i));
    } else {
      line_.append(chunk.data() + i, end - i);
      ok = Line(line_);
      line_.clear();
    }
    if (!ok) return false;
    if (chunk[end] == '\r') {
      if (end + 1 == chunk.size()) {
        after_cr_ = true;
        return true;
      }
      if (chunk[end + 1] == '\n') ++end;
    }
    i = end + 1;
  }
  return true;
}

bool SseParser::Line(std::string_view line) {
  if (line.empty()) {
    if (!has_data_) {
      event_.clear();
      return true;
    }
    SseEvent ev;
    ev.event = std::move(event_);
    ev.data = std::move(data_);
    ev.id = id_;
    ev.retry = retry_;
    event_.clear();
    data_.clear();
    has_data_ = false;
    return sink_(std::move(ev));
  }
  if (line[0] == ':') return true;
  std::size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
    if (data_.size() > kMaxLineBytes) return false;
  } else if (field == "event") {
    event_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  } else if (field == "retry") {
    bool digits = !value.empty() && value.size() < 10;
    for (char c : value) digits = digits && c >= '0' && c <= '9';
    if (digits) retry_ = std::stol(std::string(value));
  }
  return true;
}

}  // namespace keyref
