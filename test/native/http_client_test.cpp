// HttpClient against a real httplib server on 127.0.0.1 started by the test:
// the key's header, scrubbing of everything handed back, cancellation from
// another thread, timeouts, the worker pool and Close. (Node tests cover the
// same ground through the addon; these run under ASan/UBSan too.)
#include "keyref/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <string>
#include <thread>

namespace keyref {
namespace {

using namespace std::chrono_literals;

std::string TestKey() {
  return std::string("sk-") + "test-" + "Zq8Wm3Rt6Yp1Lk4Hd7Fs2Ga9Jx5Cv0Nb";
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get(
        "/echo", [](const httplib::Request& req, httplib::Response& res) {
          std::string auth = req.get_header_value("Authorization");
          res.status = 401;
          res.set_header("X-Echo", auth);
          // A run of 12 characters of the key's middle (after "Bearer sk-"):
          // the shortest fragment that counts (docs/threat-model.md).
          res.set_content("bad key " + auth + " / " + auth.substr(10, 12),
                          "text/plain");
        });
    server_.Get("/sse", [](const httplib::Request& req,
                           httplib::Response& res) {
      std::string auth = req.get_header_value("Authorization");
      res.set_chunked_content_provider(
          "text/event-stream", [auth](std::size_t, httplib::DataSink& sink) {
            std::string s = "data: one\n\ndata: " + auth + "\n\nevent: e\nda";
            sink.write(s.data(), s.size());
            std::string t = "ta: three\n\n";
            sink.write(t.data(), t.size());
            sink.done();
            return true;
          });
    });
    server_.Get("/hang",
                [this](const httplib::Request&, httplib::Response& res) {
                  std::unique_lock<std::mutex> lock(mu_);
                  cv_.wait_for(lock, 5s, [this] { return release_; });
                  res.set_content("late", "text/plain");
                });
    server_.Get("/count",
                [this](const httplib::Request&, httplib::Response& res) {
                  ++hits_;
                  res.set_content("ok", "text/plain");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(5ms);
    }
  }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      release_ = true;
    }
    cv_.notify_all();
    server_.stop();
    thread_.join();
  }

  HttpRequest Req(const std::string& path) {
    HttpRequest r;
    r.provider = Provider::kOpenAI;
    r.base_url = "http://127.0.0.1:" + std::to_string(port_);
    // A ref, never a key (the test's resolver supplies a made-up key).
    r.api_key_ref = ParseRef("env:UNUSED_BY_THE_TEST_RESOLVER").value();
    r.method = "GET";
    r.path = path;
    return r;
  }

  // Hands out the made-up key bound to `origin` (default: this test's
  // server, http://127.0.0.1:PORT, a loopback origin bound explicitly).
  KeyResolver Resolver(std::string origin = "") {
    if (origin.empty()) origin = "http://127.0.0.1:" + std::to_string(port_);
    return [this, origin](const ParsedRef&, Provider,
                          const BaseUrl&) -> Result<KeyGrant> {
      std::string k = TestKey();
      KeyBinding binding;
      binding.origins.push_back(
          {ParseOriginPattern(origin).value(), OriginSource::kStored});
      return KeyGrant{
          LiveSecret(SecretValue::FromBytes(k.data(), k.size()), redactor_),
          std::move(binding)};
    };
  }

  Redactor redactor_;
  std::atomic<int> hits_{0};  // requests /count received
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool release_ = false;
};

// No run that counts: 12 characters of the middle (after "sk-", before the
// last 4).
void ExpectNoRun(const std::string& text) {
  std::string key = TestKey();
  for (std::size_t i = 3; i + 12 <= key.size() - 4; ++i) {
    EXPECT_EQ(text.find(key.substr(i, 12)), std::string::npos) << text;
  }
}

TEST_F(HttpClientTest, EchoedKeyIsScrubbedFromBodyAndHeaders) {
  HttpClient client(redactor_);
  RequestControl control;
  auto r = client.Execute(Req("/echo"), Resolver(), control, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().status, 401);
  EXPECT_EQ(r.value().body, "bad key Bearer [REDACTED] / [REDACTED]");
  bool saw = false;
  for (const auto& [name, value] : r.value().headers) {
    ExpectNoRun(value);
    if (name == "x-echo") {
      saw = true;
      EXPECT_EQ(value, "Bearer [REDACTED]");
    }
  }
  EXPECT_TRUE(saw);
}

TEST_F(HttpClientTest, EventsAreParsedScrubbedAndOrdered) {
  HttpClient client(redactor_);
  RequestControl control;
  std::vector<SseEvent> events;
  HttpRequest req = Req("/sse");
  req.stream_events = true;
  auto r = client.Execute(req, Resolver(), control, [&](SseEvent&& e) {
    events.push_back(std::move(e));
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().body, "");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "one");
  EXPECT_EQ(events[1].data, "Bearer [REDACTED]");
  EXPECT_EQ(events[2].event, "e");
  EXPECT_EQ(events[2].data, "three");
}

TEST_F(HttpClientTest, CancelFromAnotherThreadStopsABlockedRead) {
  HttpClient client(redactor_);
  RequestControl control;
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    control.Cancel(CancelReason::kAborted);
  });
  auto t0 = std::chrono::steady_clock::now();
  auto r = client.Execute(Req("/hang"), Resolver(), control, nullptr);
  auto took = std::chrono::steady_clock::now() - t0;
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRequestAborted);
  EXPECT_LT(took, 2s);
}

TEST_F(HttpClientTest, TotalAndReadTimeouts) {
  HttpClient client(redactor_);
  HttpRequest req = Req("/hang");
  req.timeout = 200ms;
  RequestControl c1;
  auto r1 = client.Execute(req, Resolver(), c1, nullptr);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, ErrorCode::kRequestTimeout);
  req.timeout = 10s;
  req.read_timeout = 200ms;
  RequestControl c2;
  auto r2 = client.Execute(req, Resolver(), c2, nullptr);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, ErrorCode::kRequestTimeout);
}

TEST_F(HttpClientTest, RefusalsComeBeforeResolution) {
  HttpClient client(redactor_);
  std::atomic<int> resolved{0};
  KeyResolver counting = [&](const ParsedRef& ref, Provider p,
                             const BaseUrl& target) {
    ++resolved;
    return Resolver()(ref, p, target);
  };
  HttpRequest bad_header = Req("/echo");
  bad_header.headers = {{"X-Goog-Api-Key", "x"}};
  RequestControl c;
  auto r = client.Execute(bad_header, counting, c, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kHeaderForbidden);
  HttpRequest bad_url = Req("/echo");
  bad_url.base_url = "http://u:p@127.0.0.1:1";
  r = client.Execute(bad_url, counting, c, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadBaseUrl);
  HttpRequest ollama = Req("/echo");
  ollama.provider = Provider::kOllama;
  r = client.Execute(ollama, counting, c, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(resolved.load(), 0);
}

TEST_F(HttpClientTest, WorkersRunManyAndCloseCancels) {
  HttpClient client(redactor_, HttpClientOptions{8, 4, 1 << 20});
  constexpr int kCount = 40;
  std::vector<std::promise<int>> done(kCount);
  std::vector<std::future<int>> results;
  for (auto& p : done) results.push_back(p.get_future());
  for (int i = 0; i < kCount; ++i) {
    client.Submit([&, i] {
      RequestControl c;
      auto r = client.Execute(Req("/echo"), Resolver(), c, nullptr);
      done[i].set_value(r.ok() ? r.value().status : -1);
    });
  }
  for (auto& f : results) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(f.get(), 401);
  }
  std::promise<ErrorCode> hung;
  client.Submit([&] {
    RequestControl c;
    auto r = client.Execute(Req("/hang"), Resolver(), c, nullptr);
    hung.set_value(r.ok() ? ErrorCode::kOk : r.error().code);
  });
  std::this_thread::sleep_for(100ms);
  client.Close();
  auto f = hung.get_future();
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(f.get(), ErrorCode::kRequestAborted);
}

}  // namespace
}  // namespace keyref

namespace keyref {
namespace {

// The last line of defence: even when a resolver hands out a key bound
// elsewhere (a bug in the resolver, say), the builder checks the binding on
// the final target right before the key is written, and sends nothing.
TEST_F(HttpClientTest, KeyBoundElsewhereIsNeverWritten) {
  HttpClient client(redactor_);
  std::atomic<int>& hits = hits_;
  RequestControl c;
  auto r = client.Execute(Req("/count"),
                          Resolver("http://127.0.0.1:" +
                                   std::to_string(port_ == 1 ? 2 : port_ - 1)),
                          c, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyOriginDenied);
  ExpectNoRun(r.error().message);
  ExpectNoRun(r.error().hint);
  // https binding, http target: denied too.
  RequestControl c2;
  r = client.Execute(Req("/count"),
                     Resolver("https://127.0.0.1:" + std::to_string(port_)), c2,
                     nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKeyOriginDenied);
  EXPECT_EQ(hits.load(), 0);
  // The same request with the key bound to the server goes through.
  RequestControl c3;
  r = client.Execute(Req("/count"), Resolver(), c3, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(hits.load(), 1);
}

}  // namespace
}  // namespace keyref
