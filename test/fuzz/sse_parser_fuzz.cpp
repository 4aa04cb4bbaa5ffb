// Fuzzes the SSE parser. Property: however the stream is split into chunks
// (a CRLF split across two chunks included), the same events come out, in
// the same order, as when it is fed whole; and the buffered bytes stay
// within the documented line bound. The events packed for JavaScript
// (keyref/sse_batch.h) are valid UTF-8 whose field ends agree with its
// UTF-16 length.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "keyref/sse_batch.h"
#include "keyref/sse_parser.h"

using keyref::fuzz::Check;

namespace {

struct Run {
  std::vector<keyref::SseEvent> events;
  bool ok = true;
};

bool Same(const keyref::SseEvent& a, const keyref::SseEvent& b) {
  return a.event == b.event && a.data == b.data && a.id == b.id &&
         a.retry == b.retry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  std::vector<std::size_t> cuts;
  const std::size_t n_cuts = in.Byte() % 16;
  for (std::size_t i = 0; i < n_cuts; ++i) cuts.push_back(in.Byte());
  const std::string_view stream = in.Rest();

  Run whole;
  keyref::SseParser p1([&](keyref::SseEvent&& e) {
    whole.events.push_back(std::move(e));
    return true;
  });
  whole.ok = p1.Feed(stream);

  Run split;
  keyref::SseParser p2([&](keyref::SseEvent&& e) {
    split.events.push_back(std::move(e));
    return true;
  });
  std::size_t pos = 0;
  for (std::size_t c : cuts) {
    std::size_t n = std::min(c, stream.size() - pos);
    split.ok = p2.Feed(stream.substr(pos, n)) && split.ok;
    pos += n;
    Check(p2.buffered() <= stream.size(), "buffered more than was fed");
  }
  split.ok = p2.Feed(stream.substr(pos)) && split.ok;
  split.ok = p2.Feed("") && split.ok;

  Check(whole.ok == split.ok, "split changed the verdict");
  Check(whole.events.size() == split.events.size(), "split changed events");
  for (std::size_t i = 0; i < whole.events.size(); ++i) {
    Check(Same(whole.events[i], split.events[i]), "split changed an event");
  }

  keyref::SseBatch batch;
  for (const keyref::SseEvent& e : whole.events) batch.Append(e);
  std::string again;
  const std::size_t units = keyref::AppendUtf8ForJs(batch.text(), &again);
  Check(again == batch.text(), "packed text is not valid UTF-8");
  Check(batch.ends().size() == 3 * whole.events.size(), "an end per field");
  for (std::size_t i = 1; i < batch.ends().size(); ++i) {
    Check(batch.ends()[i - 1] <= batch.ends()[i], "field ends go backwards");
  }
  Check(batch.ends().empty() ? units == 0 : batch.ends().back() == units,
        "the last end is not the UTF-16 length");
  return 0;
}
