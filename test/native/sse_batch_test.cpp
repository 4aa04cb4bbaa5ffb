#include "keyref/sse_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyref {
namespace {

std::string ForJs(std::string_view in, std::size_t* units = nullptr) {
  std::string out;
  std::size_t n = AppendUtf8ForJs(in, &out);
  if (units) *units = n;
  return out;
}

const std::string kFffd = "\xEF\xBF\xBD";

TEST(AppendUtf8ForJs, AsciiAndValidUtf8PassUnchanged) {
  std::size_t units = 0;
  EXPECT_EQ(ForJs("plain ascii text, longer than eight bytes", &units),
            "plain ascii text, longer than eight bytes");
  EXPECT_EQ(units, 41u);
  // é (2 bytes), € (3 bytes), 😀 (4 bytes: a surrogate pair in UTF-16).
  EXPECT_EQ(ForJs("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", &units),
            "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(units, 4u);
  EXPECT_EQ(ForJs("", &units), "");
  EXPECT_EQ(units, 0u);
}

// One U+FFFD per maximal subpart, as V8 (and the WHATWG decoder) make a
// string from the same bytes: the Unicode Standard's table 3-8 examples.
TEST(AppendUtf8ForJs, IllFormedSequencesBecomeOneReplacementPerSubpart) {
  std::size_t units = 0;
  // Truncated 3-byte sequence, then ASCII: one U+FFFD for both bytes.
  EXPECT_EQ(ForJs("\xE2\x82"
                  "a",
                  &units),
            kFffd + "a");
  EXPECT_EQ(units, 2u);
  // Lone continuation bytes: one each.
  EXPECT_EQ(ForJs("\x80\x80", &units), kFffd + kFffd);
  EXPECT_EQ(units, 2u);
  // C0/C1, F5..FF never start a sequence.
  EXPECT_EQ(ForJs("\xC0\xAF"), kFffd + kFffd);
  EXPECT_EQ(ForJs("\xF5\x80"), kFffd + kFffd);
  // A surrogate (ED A0 80): ED's second byte must be 80..9F.
  EXPECT_EQ(ForJs("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  // Overlong E0 80 80 and beyond-U+10FFFF F4 90 80 80.
  EXPECT_EQ(ForJs("\xE0\x80\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(ForJs("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  // Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  EXPECT_EQ(
      ForJs("a\xF1\x80\x80\xE1\x80\xC2"
            "b\x80"
            "c\x80\xBF"
            "d",
            &units),
      "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d");
  EXPECT_EQ(units, 10u);
  // A sequence cut at the end of the input.
  EXPECT_EQ(ForJs("ok\xF0\x9F\x98"), "ok" + kFffd);
}

TEST(SseBatch, PacksFieldsWithUtf16Ends) {
  SseBatch b;
  SseEvent one;
  one.data = "h\xC3\xA9llo";  // 5 UTF-16 units
  one.event = "delta";
  SseEvent two;
  two.data = "\xF0\x9F\x98\x80";  // 2 units
  two.id = "7";
  b.Append(one);
  b.Append(two);
  EXPECT_EQ(b.events(), 2u);
  EXPECT_EQ(b.text(),
            "h\xC3\xA9llodelta\xF0\x9F\x98\x80"
            "7");
  EXPECT_EQ(b.ends(), (std::vector<std::uint32_t>{5, 10, 10, 12, 12, 13}));
}

// Fields are made valid one by one, so bytes that end one field and start
// the next never join into a character neither has.
TEST(SseBatch, IllFormedFieldsDoNotJoinAcrossEvents) {
  SseBatch b;
  SseEvent one;
  one.data = "\xE2\x82";
  SseEvent two;
  two.data = "\xAC";
  b.Append(one);
  b.Append(two);
  EXPECT_EQ(b.text(), kFffd + kFffd);
  EXPECT_EQ(b.ends(), (std::vector<std::uint32_t>{1, 1, 1, 2, 2, 2}));
}

TEST(SseBatch, AppendBatchShiftsEndsAndClearKeepsNothing) {
  SseBatch a;
  SseBatch b;
  SseEvent e;
  e.data = "ab";
  e.event = "x";
  a.Append(e);
  b.Append(e);
  a.Append(b);
  EXPECT_EQ(a.text(), "abxabx");
  EXPECT_EQ(a.ends(), (std::vector<std::uint32_t>{2, 3, 3, 5, 6, 6}));
  a.Clear();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.text(), "");
  a.Append(e);
  EXPECT_EQ(a.ends(), (std::vector<std::uint32_t>{2, 3, 3}));
}

}  // namespace
}  // namespace keyref
