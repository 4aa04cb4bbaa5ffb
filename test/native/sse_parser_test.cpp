#include "keyref/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyref {
namespace {

std::vector<SseEvent> Parse(const std::vector<std::string>& chunks) {
  std::vector<SseEvent> out;
  SseParser p([&](SseEvent&& e) {
    out.push_back(std::move(e));
    return true;
  });
  for (const auto& c : chunks) EXPECT_TRUE(p.Feed(c));
  return out;
}

TEST(SseParser, BasicEvents) {
  auto evs = Parse({"data: a\n\nevent: x\ndata: b\nid: 7\n\n"});
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].data, "a");
  EXPECT_EQ(evs[0].event, "");
  EXPECT_EQ(evs[1].event, "x");
  EXPECT_EQ(evs[1].data, "b");
  EXPECT_EQ(evs[1].id, "7");
}

TEST(SseParser, MultiLineDataCommentsAndFields) {
  auto evs =
      Parse({": keep-alive\ndata:one\ndata:  two\nretry: 1500\n"
             "unknown: z\n\n"});
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, "one\n two");
  EXPECT_EQ(evs[0].retry, 1500);
}

TEST(SseParser, LineEndingsCrlfAndCr) {
  auto evs = Parse({"data: a\r\n\r\ndata: b\r\rdata: c\n\n"});
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[2].data, "c");
}

TEST(SseParser, EveryPossibleSplit) {
  const std::string stream =
      "event: delta\r\ndata: {\"t\":\"he\"}\r\n\r\n: c\r\ndata: x\r\n"
      "data: y\r\n\r\ndata: [DONE]\n\n";
  auto whole = Parse({stream});
  ASSERT_EQ(whole.size(), 3u);
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    for (std::size_t j = i; j <= stream.size(); j += 3) {
      auto evs = Parse(
          {stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)});
      ASSERT_EQ(evs.size(), whole.size()) << i << "," << j;
      for (std::size_t k = 0; k < evs.size(); ++k) {
        EXPECT_EQ(evs[k].data, whole[k].data);
        EXPECT_EQ(evs[k].event, whole[k].event);
      }
    }
  }
}

TEST(SseParser, ByteByByte) {
  const std::string stream = "data: hello\r\n\r\ndata: world\n\n";
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  auto evs = Parse(bytes);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].data, "hello");
  EXPECT_EQ(evs[1].data, "world");
}

TEST(SseParser, UnfinishedEventIsDroppedAndEmptyDataNotDispatched) {
  EXPECT_TRUE(Parse({"event: x\n\n"}).empty());
  EXPECT_TRUE(Parse({"data: never finished"}).empty());
  auto evs = Parse({"data\n\n"});
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, "");
}

TEST(SseParser, SinkCanStop) {
  int n = 0;
  SseParser p([&](SseEvent&&) { return ++n < 1; });
  EXPECT_FALSE(p.Feed("data: a\n\ndata: b\n\n"));
  EXPECT_EQ(n, 1);
}

TEST(SseParser, BomSkipped) {
  auto evs =
      Parse({"\xEF\xBB\xBF"
             "data: a\n\n"});
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, "a");
}

// Found by test/fuzz/sse_parser_fuzz.cpp: a BOM split across chunks was
// kept as part of the first field name, and the first event was lost.
TEST(SseParser, BomSplitAcrossChunks) {
  for (std::size_t cut = 1; cut < 3; ++cut) {
    std::string bom = "\xEF\xBB\xBF";
    auto evs = Parse({bom.substr(0, cut), "", bom.substr(cut) + "data: a\n\n"});
    ASSERT_EQ(evs.size(), 1u) << cut;
    EXPECT_EQ(evs[0].data, "a");
  }
}

// Bytes that start like a BOM but are not one stay part of the line.
TEST(SseParser, PartialBomIsData) {
  auto evs = Parse({"\xEF", "\xBB: c\ndata: \xEF\n\n"});
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, "\xEF");
  evs = Parse({"\xEF", "data: a\n\n"});
  EXPECT_EQ(evs.size(), 0u);  // "\xEFdata" is not a field keyref knows
}

}  // namespace
}  // namespace keyref
