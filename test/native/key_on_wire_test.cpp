// The key spliced into the request head on its way to the socket
// (http::KeyOnWire, TrailerFilterStream::write; docs/requests.md, "Where the
// key exists"): httplib only ever holds a placeholder.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/trailer_filter.h"
#include "keyref/secret_value.h"

namespace keyref::http {
namespace {

// An httplib::Stream that records what is written, taking at most `chunk`
// bytes a call (a socket that accepts part of a write), or failing.
class RecordingStream : public httplib::Stream {
 public:
  explicit RecordingStream(std::size_t chunk = SIZE_MAX, bool fail = false)
      : chunk_(chunk), fail_(fail) {}
  bool is_readable() const override { return false; }
  bool is_writable() const override { return true; }
  ssize_t read(char*, size_t) override { return -1; }
  ssize_t write(const char* p, size_t n) override {
    if (fail_) return -1;
    n = std::min(n, chunk_);
    written.append(p, n);
    ++calls;
    return static_cast<ssize_t>(n);
  }
  void get_remote_ip_and_port(std::string&, int&) const override {}
  void get_local_ip_and_port(std::string&, int&) const override {}
  socket_t socket() const override { return INVALID_SOCKET; }

  std::string written;
  int calls = 0;

 private:
  std::size_t chunk_;
  bool fail_;
};

// What httplib's detail::write_data does: write until all is taken.
bool WriteData(httplib::Stream& s, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = s.write(data.data() + off, data.size() - off);
    if (n < 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

const std::string kKey = "key-on-the-wire-0123456789abcdef";

SecretValue Key() { return SecretValue::FromBytes(kKey.data(), kKey.size()); }

std::string Head(const std::string& ph) {
  return "POST /v1 HTTP/1.1\r\nauthorization: Bearer " + ph + "\r\n\r\n";
}

TEST(KeyOnWire, TheHeadCarriesTheKeyOnlyWhereThePlaceholderWasOnce) {
  SecretValue key = Key();
  RecordingStream inner;
  TrailerFilterStream stream(inner);
  KeyOnWire wire(key);
  const std::string ph = wire.placeholder();
  ASSERT_TRUE(WriteData(stream, Head(ph) + "x-second: " + ph + "\r\n"));
  ASSERT_TRUE(WriteData(stream, "body " + ph));
  EXPECT_EQ(inner.written,
            Head(kKey) + "x-second: " + ph + "\r\n" + "body " + ph);
}

TEST(KeyOnWire, PlaceholdersAreFreshAndRandom) {
  SecretValue key = Key();
  std::string a, b;
  {
    KeyOnWire w(key);
    a = w.placeholder();
  }
  {
    KeyOnWire w(key);
    b = w.placeholder();
  }
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), std::string("keyref-key-").size() + 32);
  EXPECT_EQ(a.find(kKey), std::string::npos);
}

// Made from a per-thread counter under per-thread keys: never the same
// twice on one thread nor across threads, and every hex digit varies (no
// counter shows through).
TEST(KeyOnWire, PlaceholdersNeverRepeatAcrossSendsAndThreads) {
  SecretValue key = Key();
  std::set<std::string> seen;
  std::set<char> digits_at_end;
  auto take = [&](std::vector<std::string>* out) {
    for (int i = 0; i < 500; ++i) {
      KeyOnWire w(key);
      out->push_back(w.placeholder());
    }
  };
  std::vector<std::string> here, there;
  take(&here);
  std::thread t([&] { take(&there); });
  t.join();
  for (const auto* v : {&here, &there}) {
    for (const std::string& p : *v) {
      EXPECT_TRUE(seen.insert(p).second) << p;
      digits_at_end.insert(p.back());
      EXPECT_EQ(p.size(), std::string("keyref-key-").size() + 32);
    }
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(digits_at_end.size(), 16u);
}

TEST(KeyOnWire, ASocketTakingPartOfEachWriteStillGetsTheWholeHead) {
  SecretValue key = Key();
  RecordingStream inner(/*chunk=*/5);
  TrailerFilterStream stream(inner);
  KeyOnWire wire(key);
  ASSERT_TRUE(WriteData(stream, Head(wire.placeholder()) + "tail"));
  EXPECT_EQ(inner.written, Head(kKey) + "tail");
  EXPECT_GT(inner.calls, 10);
}

TEST(KeyOnWire, AFailedWriteFailsTheRequest) {
  SecretValue key = Key();
  RecordingStream inner(SIZE_MAX, /*fail=*/true);
  TrailerFilterStream stream(inner);
  KeyOnWire wire(key);
  EXPECT_FALSE(WriteData(stream, Head(wire.placeholder())));
}

TEST(KeyOnWire, OnlyTheSendingThreadAndOnlyWhileItLives) {
  SecretValue key = Key();
  std::string ph;
  {
    KeyOnWire wire(key);
    ph = wire.placeholder();
    // Another thread's stream is not this request's.
    RecordingStream other;
    std::thread([&] {
      TrailerFilterStream s(other);
      WriteData(s, Head(ph));
    }).join();
    EXPECT_EQ(other.written, Head(ph));
  }
  RecordingStream after;
  TrailerFilterStream s(after);
  ASSERT_TRUE(WriteData(s, Head(ph)));
  EXPECT_EQ(after.written, Head(ph));
}

}  // namespace
}  // namespace keyref::http
