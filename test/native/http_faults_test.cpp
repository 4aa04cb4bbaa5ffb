// HttpClient against a hostile or broken server: a raw TCP server on
// 127.0.0.1 started by the test writes exactly the bytes each case needs
// (chunked trailers, malformed chunks, resets, slowloris, huge bodies),
// which no well-behaved server library would. Expected codes and figures:
// docs/reliability.md.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "http/trailer_filter.h"
#include "keyref/http_client.h"

namespace keyref {
namespace {

using namespace std::chrono_literals;

// Accepts connections one after another; for each, reads the request head
// and hands the socket to `serve`, which writes what the case needs.
// Returning true keeps the connection for the next request (keep-alive).
class RawServer {
 public:
  using Serve = std::function<bool(int fd, int request_no)>;
  explicit RawServer(Serve serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~RawServer() {
    stop_ = true;
    int c = client_.load();
    if (c >= 0) ::shutdown(c, SHUT_RDWR);  // a kept-alive connection waits
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::atomic<long long> written{0};
  std::atomic<int> requests{0};
  std::atomic<int> connections{0};
  std::atomic<bool> stop_{false};

  // Writes all of `s`; false when the peer is gone.
  bool Send(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
      written += n;
    }
    return true;
  }

 private:
  bool ReadHead(int fd) {
    std::string head;
    char c;
    while (head.size() < 65536) {
      if (::recv(fd, &c, 1, 0) != 1) return false;
      head.push_back(c);
      if (head.size() >= 4 && head.compare(head.size() - 4, 4, "\r\n\r\n") == 0)
        return true;
    }
    return false;
  }
  void Run() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections;
      client_ = c;
      bool keep = true;
      while (keep && !stop_ && ReadHead(c)) {
        keep = serve_(c, requests++);
        if (reset_) break;
      }
      client_ = -1;
      if (!reset_) ::close(c);
      reset_ = false;
    }
  }

 public:
  // Closes with an RST instead of a FIN (from inside `serve`).
  void Reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
    reset_ = true;
  }

 private:
  bool reset_ = false;
  std::atomic<int> client_{-1};
  Serve serve_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

class HttpFaultsTest : public ::testing::Test {
 protected:
  HttpRequest Req(int port) {
    HttpRequest r;
    r.provider = Provider::kOllama;  // no key: these cases are about bytes
    r.base_url = "http://127.0.0.1:" + std::to_string(port);
    r.method = "GET";
    r.path = "/x";
    r.timeout = 20s;
    r.read_timeout = 5s;
    return r;
  }
  Result<HttpResponse> Run(const HttpRequest& req,
                           std::vector<SseEvent>* events = nullptr) {
    RequestControl control;
    EventSink sink = nullptr;
    if (events) {
      sink = [events](SseEvent&& e) {
        events->push_back(std::move(e));
        return true;
      };
    }
    return client_.Execute(
        req,
        [](const ParsedRef&, Provider, const BaseUrl&) -> Result<KeyGrant> {
          return Error(ErrorCode::kInternal, "no key in these tests");
        },
        control, sink);
  }

  Redactor redactor_;
  HttpClient client_{redactor_};
};

const char kChunkedHead[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
    "Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n";

// A valid chunked response with trailer fields: before the trailer filter
// (native/src/http/trailer_filter.h) httplib failed it as CONNECT_FAILED.
TEST_F(HttpFaultsTest, ChunkedTrailersAreAccepted) {
  RawServer server([&](int fd, int) {
    return server.Send(fd, std::string(kChunkedHead) +
                               "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n"
                               "X-Checksum: abc\r\nX-Other: 1\r\n\r\n");
  });
  for (int i = 0; i < 3; ++i) {  // the kept-alive connection stays usable
    auto r = Run(Req(server.port()));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().status, 200);
    EXPECT_EQ(r.value().body, "hello world");
  }
  EXPECT_EQ(server.requests.load(), 3);
}

TEST_F(HttpFaultsTest, EventStreamWithTrailersDeliversEveryEvent) {
  RawServer server([&](int fd, int) {
    return server.Send(
        fd,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
        "d\r\ndata: one\n\nda\r\n"
        "9\r\nta: two\n\n\r\n0\r\nServer-Timing: x;dur=1\r\n\r\n");
  });
  HttpRequest req = Req(server.port());
  req.stream_events = true;
  std::vector<SseEvent> events;
  auto r = Run(req, &events);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "one");
  EXPECT_EQ(events[1].data, "two");
}

TEST_F(HttpFaultsTest, MalformedChunkSizeIsConnectFailed) {
  for (const char* body : {"zz\r\nhello\r\n0\r\n\r\n",     // not hex
                           "a\r\nhello",                   // cut short
                           "ffffffffffffffffff\r\nab"}) {  // absurd size
    RawServer server([&](int fd, int) {
      server.Send(fd, std::string(kChunkedHead) + body);
      return false;
    });
    auto r = Run(Req(server.port()));
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kConnectFailed) << body;
  }
}

TEST_F(HttpFaultsTest, ResetsAreConnectFailed) {
  // Before any byte of the response, and in the middle of the body.
  for (bool mid_body : {false, true}) {
    RawServer server([&](int fd, int) {
      if (mid_body) {
        server.Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        std::this_thread::sleep_for(50ms);
      }
      server.Reset(fd);
      return false;
    });
    auto r = Run(Req(server.port()));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kConnectFailed) << mid_body;
  }
}

// Slowloris: a header byte every 20 ms never trips the idle read timeout;
// the total deadline (timeoutMs) still ends the request.
TEST_F(HttpFaultsTest, SlowlorisHeadersHitTheTotalDeadline) {
  RawServer server([&](int fd, int) {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 500 && !server.stop_; ++i) {
      head += "X-Slow-" + std::to_string(i) + ": y\r\n";
    }
    for (char c : head) {
      if (server.stop_ || !server.Send(fd, std::string(1, c))) break;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  });
  HttpRequest req = Req(server.port());
  req.timeout = 800ms;
  req.read_timeout = 300ms;
  auto r = Run(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRequestTimeout);
  server.stop_ = true;
}

// A 100 MB body: refused at the cap with RESPONSE_TOO_LARGE, and the
// client stops reading there (memory stays bounded by the cap).
TEST_F(HttpFaultsTest, HundredMegabyteBodyStopsAtTheCap) {
  constexpr long long kBody = 100LL * 1000 * 1000;
  RawServer server([&](int fd, int) {
    std::string chunk(1 << 20, 'x');
    if (!server.Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: " +
                             std::to_string(kBody) + "\r\n\r\n"))
      return false;
    for (long long sent = 0; sent < kBody && !server.stop_;
         sent += static_cast<long long>(chunk.size())) {
      if (!server.Send(fd, chunk)) break;
    }
    return false;
  });
  Redactor redactor;
  HttpClientOptions opts;
  opts.max_body_bytes = 4 << 20;  // the same code path as the 64 MiB default
  HttpClient client(redactor, opts);
  RequestControl control;
  auto r = client.Execute(
      Req(server.port()),
      [](const ParsedRef&, Provider, const BaseUrl&) -> Result<KeyGrant> {
        return Error(ErrorCode::kInternal, "no key");
      },
      control, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResponseTooLarge);
  server.stop_ = true;
  EXPECT_LT(server.written.load(), kBody);
}

// One event larger than the SSE line cap: RESPONSE_TOO_LARGE, bounded.
TEST_F(HttpFaultsTest, HugeEventStopsAtTheLineCap) {
  RawServer server([&](int fd, int) {
    std::string chunk(1 << 20, 'x');
    if (!server.Send(fd,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     "Connection: close\r\n\r\ndata: "))
      return false;
    for (int i = 0; i < 100 && !server.stop_; ++i) {
      if (!server.Send(fd, chunk)) break;
    }
    return false;
  });
  HttpRequest req = Req(server.port());
  req.stream_events = true;
  std::vector<SseEvent> events;
  auto r = Run(req, &events);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResponseTooLarge);
  EXPECT_TRUE(events.empty());
  server.stop_ = true;
  EXPECT_LT(server.written.load(), 100LL << 20);
}

// The response head from a hostile server: a status line of 200 000
// bytes (std::regex_match in httplib 0.11 overflowed the stack on one of
// ~50 000 and killed the process), a header line that never ends, fields
// that never end, a chunk-size line that never ends. Each is refused with
// RESPONSE_TOO_LARGE after at most a head line's worth (8192 bytes) or 100
// fields: the server gets to write little more than the socket buffers
// hold, where before httplib read all 48 MiB into memory.
TEST_F(HttpFaultsTest, OversizedHeadsAreRefusedAndBounded) {
  constexpr long long kFlood = 48LL << 20;
  struct Case {
    const char* what;
    std::string start;
    std::string repeat;
  };
  const Case cases[] = {
      {"status line", "HTTP/1.1 200 ", std::string(1 << 16, 'A')},
      {"status line after 100 Continue",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ", std::string(1 << 16, 'A')},
      {"header line", "HTTP/1.1 200 OK\r\nX-Long: ", std::string(1 << 16, 'a')},
      {"header fields", "HTTP/1.1 200 OK\r\n",
       [] {
         std::string s;
         while (s.size() < (1u << 16)) s += "X-Field: value\r\n";
         return s;
       }()},
      {"chunk-size line", std::string(kChunkedHead), std::string(1 << 16, '1')},
  };
  for (const Case& c : cases) {
    RawServer server([&](int fd, int) {
      if (!server.Send(fd, c.start)) return false;
      for (long long sent = 0; sent < kFlood && !server.stop_;
           sent += static_cast<long long>(c.repeat.size())) {
        if (!server.Send(fd, c.repeat)) break;
      }
      return false;
    });
    auto r = Run(Req(server.port()));
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.error().code, ErrorCode::kResponseTooLarge) << c.what;
    EXPECT_NE(r.error().message.find("larger than keyref reads"),
              std::string::npos)
        << c.what << ": " << r.error().message;
    server.stop_ = true;
    EXPECT_LT(server.written.load(), kFlood / 2) << c.what;
  }
}

// The limits' edges, as httplib (patched) reads them, and the filter that
// names the cause agrees: 100 fields pass and 101 do not; a field line of
// 8192 bytes with its CRLF passes and one byte more does not. After "100
// Continue" httplib drops one line, whatever it holds, then reads the
// status line.
TEST_F(HttpFaultsTest, HeadLimitsAtTheirEdges) {
  auto head_with = [](int fields, std::size_t line_bytes) {
    std::string h =
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n";
    for (int i = 2; i < fields; ++i) h += "X-F" + std::to_string(i) + ": v\r\n";
    if (line_bytes > 0) {
      std::string name = "X-Long: ";
      h += name + std::string(line_bytes - name.size() - 2, 'a') + "\r\n";
    }
    return h + "\r\nok";
  };
  struct Case {
    const char* what;
    std::string response;
    bool ok;
  };
  const Case cases[] = {
      {"100 fields", head_with(100, 0), true},
      {"101 fields", head_with(101, 0), false},
      {"a field line of 8192 bytes", head_with(3, 8192), true},
      {"a field line of 8193 bytes", head_with(3, 8193), false},
      {"100 Continue, then any line, then the status line",
       "HTTP/1.1 100 Continue\r\nX-Ignored: yes\r\nHTTP/1.1 200 OK\r\n"
       "Content-Length: 2\r\nConnection: close\r\n\r\nok",
       true},
  };
  for (const Case& c : cases) {
    RawServer server([&](int fd, int) {
      server.Send(fd, c.response);
      return false;
    });
    auto r = Run(Req(server.port()));
    if (c.ok) {
      ASSERT_TRUE(r.ok()) << c.what << ": " << r.error().message;
      EXPECT_EQ(r.value().body, "ok") << c.what;
    } else {
      ASSERT_FALSE(r.ok()) << c.what;
      EXPECT_EQ(r.error().code, ErrorCode::kResponseTooLarge) << c.what;
    }
  }
}

// The filter's flag (which names RESPONSE_TOO_LARGE when a send fails) is
// set exactly where httplib stops: at the 101st field, a field line of 8193
// bytes with its LF, a status or chunk-size line of more than 8192 before
// it; never for a head httplib reads.
TEST(TrailerFilterLimits, FlagsExactlyWhereHttplibStops) {
  auto flagged = [](const std::string& bytes) {
    http::TrailerFilter f;
    std::string copy = bytes;
    f.Filter(copy.data(), copy.size());
    return f.head_too_large();
  };
  auto fields = [](int n) {
    std::string h = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < n; ++i) h += "X-F" + std::to_string(i) + ": v\r\n";
    return h + "\r\n";
  };
  EXPECT_FALSE(flagged(fields(100)));
  EXPECT_TRUE(flagged(fields(101)));
  EXPECT_FALSE(flagged("HTTP/1.1 200 OK\r\nX: " + std::string(8192 - 5, 'a') +
                       "\r\n\r\n"));
  EXPECT_TRUE(flagged("HTTP/1.1 200 OK\r\nX: " + std::string(8192 - 4, 'a') +
                      "\r\n\r\n"));
  EXPECT_FALSE(flagged("HTTP/1.1 200 " + std::string(8192 - 13, 'a') + "\n"));
  EXPECT_TRUE(flagged("HTTP/1.1 200 " + std::string(8192 - 12, 'a') + "\n"));
  EXPECT_FALSE(flagged("HTTP/1.1 100 Continue\r\nX: y\r\n" + fields(100)));
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_FALSE(flagged(chunked + std::string(8192, '0') + "\n"));
  EXPECT_TRUE(flagged(chunked + std::string(8193, '0') + "\n"));
}

// The status line as httplib's regex read it, parsed by hand now
// (third_party/patches/cpp-httplib-head-limits.patch): with and without a
// reason phrase, HTTP/1.0, LF alone, and after 100 Continue.
TEST_F(HttpFaultsTest, StatusLinesParseAsBefore) {
  struct Case {
    const char* head;
    int status;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\r\n", 200},
      {"HTTP/1.1 201\r\n", 201},
      {"HTTP/1.1 299 \r\n", 299},
      {"HTTP/1.0 404 Not Found\r\n", 404},
      {"HTTP/1.1 503 Slow Down Please\n", 503},
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\n", 202},
  };
  for (const Case& c : cases) {
    RawServer server([&](int fd, int) {
      server.Send(fd, std::string(c.head) +
                          "Content-Length: 2\r\nConnection: close\r\n\r\nok");
      return false;
    });
    auto r = Run(Req(server.port()));
    ASSERT_TRUE(r.ok()) << c.head << ": " << r.error().message;
    EXPECT_EQ(r.value().status, c.status) << c.head;
    EXPECT_EQ(r.value().body, "ok") << c.head;
  }
  for (const char* bad : {"HTTP/2 200 OK\r\n", "HTTP/1.1 20x OK\r\n",
                          "HTTP/1.1 2000 OK\r\n", "HTTP/1.1  200 OK\r\n"}) {
    RawServer server([&](int fd, int) {
      server.Send(fd, std::string(bad) +
                          "Content-Length: 2\r\nConnection: close\r\n\r\nok");
      return false;
    });
    auto r = Run(Req(server.port()));
    EXPECT_FALSE(r.ok()) << bad;
  }
}

// ---- Proxies ------------------------------------------------------------

const char kProxyAuth[] =
    "HTTP/1.1 407 Proxy Authentication Required\r\n"
    "Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n";

HttpRequest ViaProxy(HttpRequest req, const RawServer& proxy) {
  req.proxy.explicit_proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  return req;
}

// A proxy that answers 407 to CONNECT and keeps the connection open. httplib
// hands its answer back as a finished send, on a socket that has no TLS
// session; keyref used to return it for a HEAD as if the origin had
// answered, and to pool the socket, so the next request on it wrote to a
// null SSL and crashed the process. Every method now gets PROXY_FAILED with
// the proxy's status, and no such connection is kept: each request opens
// its own.
TEST_F(HttpFaultsTest, RefusedTunnelIsProxyFailedAndNeverPooled) {
  RawServer proxy([&](int fd, int) { return proxy.Send(fd, kProxyAuth); });
  HttpRequest req = ViaProxy(Req(9), proxy);
  req.base_url = "https://127.0.0.1:9";
  for (const char* method : {"HEAD", "GET", "HEAD"}) {
    req.method = method;
    auto r = Run(req);
    EXPECT_FALSE(r.ok()) << method << " answered " << r.value().status;
    if (r.ok()) continue;
    EXPECT_EQ(r.error().code, ErrorCode::kProxyFailed) << method;
    EXPECT_NE(r.error().message.find("407"), std::string::npos) << method;
  }
  EXPECT_EQ(proxy.requests.load(), 3);
  EXPECT_EQ(proxy.connections.load(), 3);
}

// Plain http through a forward proxy (keyless, as ollama): the proxy relays
// the origin's answer, and a 204 or a HEAD, which have no body and so no
// response callback, are answers all the same; the connection is reused.
// Direct, the same.
TEST_F(HttpFaultsTest, NoBodyAnswersArriveDirectAndThroughAForwardProxy) {
  for (bool via_proxy : {false, true}) {
    RawServer server([&](int fd, int n) {
      return server.Send(
          fd, n % 2 == 0 ? "HTTP/1.1 204 No Content\r\nX-From: origin\r\n\r\n"
                         : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                           "X-From: origin\r\n\r\n");
    });
    HttpRequest req = Req(via_proxy ? 9 : server.port());
    if (via_proxy) req = ViaProxy(req, server);
    for (const char* method : {"DELETE", "HEAD", "DELETE", "HEAD"}) {
      req.method = method;
      auto r = Run(req);
      ASSERT_TRUE(r.ok()) << method << ": " << r.error().message;
      EXPECT_EQ(r.value().status, req.method == "HEAD" ? 200 : 204);
      EXPECT_TRUE(r.value().body.empty());
      bool from_origin = false;
      for (const auto& [name, value] : r.value().headers) {
        from_origin = from_origin || (name == "x-from" && value == "origin");
      }
      EXPECT_TRUE(from_origin) << method;
    }
    EXPECT_EQ(server.connections.load(), 1) << via_proxy;
  }
}

// 407 is the proxy's own answer (RFC 9110, 15.5.8), never an origin's: a
// forward proxy that asks for credentials is PROXY_FAILED, as a refused
// tunnel is, rather than a response from the origin.
TEST_F(HttpFaultsTest, ForwardProxyAskingForCredentialsIsProxyFailed) {
  RawServer proxy([&](int fd, int) { return proxy.Send(fd, kProxyAuth); });
  HttpRequest req = ViaProxy(Req(9), proxy);
  for (const char* method : {"GET", "HEAD"}) {
    req.method = method;
    auto r = Run(req);
    EXPECT_FALSE(r.ok()) << method << " answered " << r.value().status;
    if (r.ok()) continue;
    EXPECT_EQ(r.error().code, ErrorCode::kProxyFailed) << method;
    EXPECT_NE(r.error().message.find("407"), std::string::npos) << method;
  }
}

}  // namespace
}  // namespace keyref
