// Native validates every text it writes into a request head, whatever the
// TypeScript layer checked: a caller that reaches the raw binding with a
// line break in the method, Content-Type, referer, title or api version
// gets HEADER_FORBIDDEN, and nothing is resolved or sent. The server is a
// real httplib server on 127.0.0.1 that counts what reaches it.
#include "keyref/request_head.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace keyref {
namespace {

using namespace std::chrono_literals;

class RequestHeadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.set_pre_routing_handler(
        [this](const httplib::Request&, httplib::Response& res) {
          ++seen_;
          res.set_content("ok", "text/plain");
          return httplib::Server::HandlerResponse::Handled;
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(5ms);
    }
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  HttpRequest Req(Provider provider) {
    HttpRequest r;
    r.provider = provider;
    r.base_url = "http://127.0.0.1:" + std::to_string(port_);
    r.api_key_ref = ParseRef("env:UNUSED_BY_THE_TEST_RESOLVER").value();
    r.method = "POST";
    r.path = "/v1/x";
    r.body = "{}";
    return r;
  }

  // Sends `r`; counts resolutions (none may happen for a refused request).
  Result<HttpResponse> Send(const HttpRequest& r) {
    HttpClient client(redactor_);
    RequestControl control;
    return client.Execute(
        r,
        // The key is bound to this test's loopback server
        // (docs/origins.md).
        [this](const ParsedRef&, Provider,
               const BaseUrl& target) -> Result<KeyGrant> {
          ++resolved_;
          std::string k = "sk-head-test-0123456789abcdefghij";
          KeyBinding binding;
          (void)target;
          binding.origins.push_back(
              {ParseOriginPattern("http://127.0.0.1:" + std::to_string(port_))
                   .value(),
               OriginSource::kStored});
          return KeyGrant{
              LiveSecret(SecretValue::FromBytes(k.data(), k.size()), redactor_),
              std::move(binding)};
        },
        control, nullptr);
  }

  Redactor redactor_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> seen_{0};
  std::atomic<int> resolved_{0};
};

TEST_F(RequestHeadTest, AValidRequestIsSent) {
  HttpRequest r = Req(Provider::kOpenRouter);
  r.referer = "https://example.invalid/app";
  r.title = "My\tApp";  // a tab is a legal field-value character
  r.content_type = "application/json; charset=utf-8";
  auto res = Send(r);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res.value().status, 200);
  EXPECT_EQ(seen_, 1);
}

TEST_F(RequestHeadTest, InjectionsAreRefusedBeforeResolvingOrSending) {
  const std::string injected[] = {"a\r\nX-Injected: 1",   "a\nb",  "a\rb",
                                  std::string("a\0b", 3), "a\x7f", "a\x01"};
  int cases = 0;
  for (const std::string& bad : injected) {
    for (int field = 0; field < 5; ++field) {
      HttpRequest r =
          Req(field == 4 ? Provider::kAnthropic : Provider::kOpenRouter);
      switch (field) {
        case 0:
          r.method = "POST /other HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET";
          if (bad != injected[0]) r.method = "P" + bad;
          break;
        case 1:
          r.content_type = bad;
          break;
        case 2:
          r.referer = bad;
          break;
        case 3:
          r.title = bad;
          break;
        case 4:
          r.api_version = bad;
          break;
      }
      auto res = Send(r);
      ASSERT_FALSE(res.ok()) << "field " << field;
      EXPECT_EQ(res.error().code, ErrorCode::kHeaderForbidden)
          << "field " << field;
      EXPECT_EQ(res.error().message.find('\n'), std::string::npos);
      ++cases;
    }
  }
  EXPECT_EQ(cases, 30);
  EXPECT_EQ(resolved_, 0);
  EXPECT_EQ(seen_, 0);
}

TEST_F(RequestHeadTest, AzureApiVersionIsCheckedToo) {
  HttpRequest r = Req(Provider::kAzureOpenAI);
  r.api_version = "2024-10-21\r\nHost: evil.invalid";
  auto res = Send(r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kHeaderForbidden);
  EXPECT_EQ(seen_, 0);
}

TEST(RequestHead, MethodsAreTheOnesTheApiDocuments) {
  for (const char* m :
       {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    EXPECT_TRUE(IsAllowedMethod(m)) << m;
  }
  for (const char* m : {"", "get", "CONNECT", "TRACE", "POST ", "G\tET"}) {
    EXPECT_FALSE(IsAllowedMethod(m)) << m;
  }
  EXPECT_TRUE(IsSafeFieldValue(""));
  EXPECT_TRUE(IsSafeFieldValue("a\tb \xc3\xa9"));
  EXPECT_FALSE(IsSafeFieldValue("a\r"));
}

}  // namespace
}  // namespace keyref
