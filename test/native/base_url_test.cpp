#include "keyref/base_url.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keyref/proxy.h"

namespace keyref {
namespace {

std::string FakeKey() {
  // Built at run time so no key-shaped literal sits in the source.
  return std::string("sk-") + "proj-" + "Xq7Rt2Lm9Vb4Nc8Wd1Zf6Hg3Jk5Pa0Se";
}

TEST(BaseUrl, ParsesOriginPathAndQuery) {
  auto r = ParseBaseUrl("HTTPS://Api.Example.com:8443/v1/?api-version=2024");
  ASSERT_TRUE(r.ok());
  const BaseUrl& u = r.value();
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "api.example.com");
  EXPECT_EQ(u.port, 8443);
  EXPECT_FALSE(u.default_port);
  EXPECT_EQ(u.path, "/v1");
  ASSERT_EQ(u.query.size(), 1u);
  EXPECT_EQ(u.query[0].first, "api-version");
  EXPECT_EQ(u.Origin(), "https://api.example.com:8443");
  EXPECT_EQ(u.HostHeader(), "api.example.com:8443");
}

TEST(BaseUrl, DefaultsAndIpv6) {
  auto r = ParseBaseUrl("http://127.0.0.1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().port, 80);
  EXPECT_EQ(r.value().path, "");
  EXPECT_EQ(r.value().HostHeader(), "127.0.0.1");
  auto v6 = ParseBaseUrl("http://[::1]:8080/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6.value().host, "::1");
  EXPECT_EQ(v6.value().HostHeader(), "[::1]:8080");
}

void ExpectBad(const std::string& url) {
  auto r = ParseBaseUrl(url);
  ASSERT_FALSE(r.ok()) << url;
  EXPECT_EQ(r.error().code, ErrorCode::kBadBaseUrl) << url;
  EXPECT_EQ(r.error().message.find(url), std::string::npos);
}

TEST(BaseUrl, RefusesCredentialsAndKeyLikeQueries) {
  ExpectBad("https://user:pass@api.example.com/v1");
  ExpectBad("https://user@api.example.com");
  for (const char* name :
       {"key",           "KEY",      "api_key",          "apikey",
        "api-key",       "token",    "access_token",     "Access_Token",
        "password",      "Password", "passwd",           "secret",
        "client_secret", "auth",     "auth_token",       "bearer",
        "signature",     "sig",      "subscription-key", "x-goog-api-key"}) {
    ExpectBad(std::string("https://api.example.com/v1?") + name + "=abc");
  }
  ExpectBad("https://api.example.com/v1?x=" + FakeKey());
  ExpectBad("https://api.example.com/" + FakeKey() + "/v1");
}

// A URL with userinfo is refused for what it is, with the hint that says
// where the key goes instead, not by whichever host rule happens to trip on
// the '@' (docs/errors.md, BAD_BASE_URL).
TEST(BaseUrl, UserinfoIsRefusedForWhatItIs) {
  for (const char* url :
       {"https://user:pass@api.example.com/v1", "https://user@api.example.com",
        "http://u:p@127.0.0.1:8080/x", "https://:p@[::1]:443"}) {
    auto r = ParseBaseUrl(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::kBadBaseUrl) << url;
    EXPECT_NE(r.error().message.find("credentials"), std::string::npos)
        << url << ": " << r.error().message;
    EXPECT_NE(r.error().hint.find("apiKeyRef"), std::string::npos)
        << url << ": " << r.error().hint;
  }
}

// The message and hint of a refused base URL never hold its user name or
// password, whatever other defect the URL has and whichever rule fires
// first (keyref/base_url.h: messages never quote the URL).
TEST(BaseUrl, RefusalNeverQuotesUserinfo) {
  const std::string user = "alice7Qm";
  const std::string pass = "pw9Xk2Lr";
  const std::string key = FakeKey();
  const std::vector<std::string> infos = {user + ":" + pass,
                                          user,
                                          ":" + pass,
                                          user + ":" + key,
                                          "alice%37Qm:pw%39Xk2Lr",
                                          user + ":" + pass + "@evil"};
  const std::vector<std::string> forms = {"https://INFO@api.example.com/v1",
                                          "http://INFO@127.0.0.1:8080",
                                          "HTTPS://INFO@h:99999",
                                          "https://INFO@h/p#frag",
                                          "ftp://INFO@h",
                                          "https://INFO@",
                                          "https://INFO@h/ a",
                                          "https://INFO@[::1",
                                          "https://INFO@h/v1?key=1",
                                          "https://INFO@h/v1?token=" + key,
                                          "https://INFO@h\n"};
  for (const std::string& info : infos) {
    for (std::string url : forms) {
      url.replace(url.find("INFO"), 4, info);
      Result<BaseUrl> r = ParseBaseUrl(url);
      ASSERT_FALSE(r.ok()) << "accepted a URL with userinfo";
      const Error& e = r.error();
      EXPECT_EQ(e.code, ErrorCode::kBadBaseUrl);
      for (const std::string* text : {&e.message, &e.hint}) {
        EXPECT_EQ(text->find(user), std::string::npos) << *text;
        EXPECT_EQ(text->find(pass), std::string::npos) << *text;
        EXPECT_EQ(text->find("alice%37Qm"), std::string::npos) << *text;
        EXPECT_EQ(text->find("pw%39Xk2Lr"), std::string::npos) << *text;
        for (std::size_t i = 0; i + 8 <= key.size(); ++i) {
          EXPECT_EQ(text->find(key.substr(i, 8)), std::string::npos) << *text;
        }
      }
    }
  }
}

TEST(BaseUrl, RefusesOtherSchemesAndJunk) {
  ExpectBad("ftp://api.example.com");
  ExpectBad("file:///etc/passwd");
  ExpectBad("javascript:alert(1)");
  ExpectBad("api.example.com/v1");
  ExpectBad("https://");
  ExpectBad("https://api.example.com:0");
  ExpectBad("https://api.example.com:65536");
  ExpectBad("https://api.example.com/v1#frag");
  ExpectBad("https://api.example.com/a b");
  ExpectBad("https://api.exa\nmple.com");
}

TEST(RequestPath, Rules) {
  EXPECT_TRUE(CheckRequestPath("").ok());
  EXPECT_TRUE(CheckRequestPath("/chat/completions").ok());
  EXPECT_FALSE(CheckRequestPath("chat").ok());
  EXPECT_FALSE(CheckRequestPath("/chat?key=1").ok());
  EXPECT_FALSE(CheckRequestPath("/a#b").ok());
  EXPECT_FALSE(CheckRequestPath("/" + FakeKey()).ok());
}

TEST(Query, EncodeAndCheck) {
  EXPECT_EQ(BuildQueryString({{"alt", "sse"}, {"a b", "c&d"}}),
            "alt=sse&a%20b=c%26d");
  EXPECT_EQ(DecodeQueryComponent("a%20b+c%zz"), "a b c%zz");
  EXPECT_TRUE(CheckQuery({{"alt", "sse"}, {"api-version", "2024-06-01"}}).ok());
  EXPECT_FALSE(CheckQuery({{"key", "x"}}).ok());
  EXPECT_FALSE(CheckQuery({{"q", FakeKey()}}).ok());
}

TEST(Proxy, ParsesHttpProxies) {
  auto p = ParseProxyUrl("http://u:p%40ss@proxy.local:3128");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value().host, "proxy.local");
  EXPECT_EQ(p.value().port, 3128);
  EXPECT_EQ(p.value().user, "u");
  EXPECT_EQ(p.value().password, "p@ss");
  auto bare = ParseProxyUrl("127.0.0.1:8080");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare.value().port, 8080);
  auto socks = ParseProxyUrl("socks5://127.0.0.1:1080");
  ASSERT_FALSE(socks.ok());
  EXPECT_EQ(socks.error().code, ErrorCode::kProxyFailed);
}

TEST(Proxy, NoProxyAndSelection) {
  BaseUrl u = ParseBaseUrl("https://api.openai.com/v1").value();
  EXPECT_TRUE(NoProxyMatches("openai.com", u));
  EXPECT_TRUE(NoProxyMatches(".openai.com", u));
  EXPECT_TRUE(NoProxyMatches("localhost, *", u));
  EXPECT_TRUE(NoProxyMatches("api.openai.com:443", u));
  EXPECT_FALSE(NoProxyMatches("api.openai.com:8443", u));
  EXPECT_FALSE(NoProxyMatches("penai.com", u));
  EXPECT_FALSE(NoProxyMatches("", u));

  ProxySettings s;
  s.env_https = "http://proxy:3128";
  auto sel = SelectProxy(s, u);
  ASSERT_TRUE(sel.ok());
  ASSERT_TRUE(sel.value().has_value());
  EXPECT_EQ(sel.value()->port, 3128);
  s.env_no_proxy = "openai.com";
  EXPECT_FALSE(SelectProxy(s, u).value().has_value());
  s.explicit_proxy = "http://other:1";
  EXPECT_EQ(SelectProxy(s, u).value()->host, "other");
  s.disabled = true;
  EXPECT_FALSE(SelectProxy(s, u).value().has_value());
  BaseUrl plain = ParseBaseUrl("http://api.openai.com").value();
  ProxySettings only_https;
  only_https.env_https = "http://proxy:3128";
  EXPECT_FALSE(SelectProxy(only_https, plain).value().has_value());
}

}  // namespace
}  // namespace keyref
