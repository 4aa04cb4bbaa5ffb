#include "keyref/provider.h"

#include <gtest/gtest.h>

namespace keyref {
namespace {

TEST(ProviderTable, NamesRoundTrip) {
  for (int i = 0; i < kProviderCount; ++i) {
    Provider p;
    ASSERT_TRUE(ProviderFromName(ProviderName(static_cast<Provider>(i)), &p));
    EXPECT_EQ(static_cast<int>(p), i);
  }
  Provider p;
  EXPECT_FALSE(ProviderFromName("OpenAI", &p));
  EXPECT_FALSE(ProviderFromName("azure", &p));
}

TEST(ProviderTable, KeyHeaders) {
  for (Provider p : {Provider::kOpenAI, Provider::kOpenAICompatible,
                     Provider::kLiteLLM, Provider::kOpenRouter}) {
    EXPECT_EQ(AuthFor(p).header, "authorization");
    EXPECT_EQ(AuthFor(p).prefix, "Bearer ");
  }
  EXPECT_EQ(AuthFor(Provider::kAnthropic).header, "x-api-key");
  EXPECT_EQ(AuthFor(Provider::kAnthropic).prefix, "");
  EXPECT_EQ(AuthFor(Provider::kAzureOpenAI).header, "api-key");
  EXPECT_EQ(AuthFor(Provider::kGemini).header, "x-goog-api-key");
  EXPECT_EQ(AuthFor(Provider::kOllama).header, "");
  EXPECT_FALSE(ProviderNeedsKey(Provider::kOllama));
  EXPECT_TRUE(ProviderNeedsKey(Provider::kGemini));
}

TEST(CallerHeaders, CredentialHeadersRefusedInAnyCase) {
  for (const char* name :
       {"authorization", "Authorization", "AUTHORIZATION", "x-api-key",
        "X-Api-Key", "api-key", "API-KEY", "x-goog-api-key", "X-Goog-Api-Key",
        "proxy-authorization", "Proxy-Authorization"}) {
    Status st = CheckCallerHeaders({{name, "v"}});
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_EQ(st.error().code, ErrorCode::kHeaderForbidden) << name;
  }
}

TEST(CallerHeaders, FramingAndMalformedRefused) {
  EXPECT_FALSE(CheckCallerHeaders({{"Host", "x"}}).ok());
  EXPECT_FALSE(CheckCallerHeaders({{"content-length", "1"}}).ok());
  EXPECT_FALSE(CheckCallerHeaders({{"x-a", "a\r\nb: c"}}).ok());
  EXPECT_FALSE(CheckCallerHeaders({{"x a", "b"}}).ok());
  EXPECT_FALSE(CheckCallerHeaders({{"", "b"}}).ok());
}

TEST(CallerHeaders, OrdinaryHeadersPass) {
  EXPECT_TRUE(CheckCallerHeaders({{"x-request-id", "abc"},
                                  {"OpenAI-Organization", "org"},
                                  {"anthropic-beta", "x\ty"}})
                  .ok());
}

TEST(CallerHeaders, MessageNeverHoldsTheValue) {
  Status st = CheckCallerHeaders({{"Authorization", "Bearer zzsecretzz"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.find("zzsecretzz"), std::string::npos);
}

ProviderOptionValues Options(std::string_view api_version,
                             std::string_view referer = {},
                             std::string_view title = {}) {
  return {{api_version, referer, title}};
}

TEST(ProviderExtras, AnthropicVersionDefaultsAndTheCallersHeaderWins) {
  EXPECT_EQ(ProviderHeaders(Provider::kAnthropic, Options(""), {}),
            (HeaderList{{"anthropic-version", "2023-06-01"}}));
  EXPECT_EQ(ProviderHeaders(Provider::kAnthropic, Options("2024-01-01"), {}),
            (HeaderList{{"anthropic-version", "2024-01-01"}}));
  EXPECT_TRUE(ProviderHeaders(Provider::kAnthropic, Options("2024-01-01"),
                              {{"Anthropic-Version", "x"}})
                  .empty());
}

TEST(ProviderExtras, OpenRouterHeadersOnlyWhenGiven) {
  EXPECT_TRUE(ProviderHeaders(Provider::kOpenRouter, Options(""), {}).empty());
  EXPECT_EQ(
      ProviderHeaders(Provider::kOpenRouter, Options("", "https://a", "T"), {}),
      (HeaderList{{"HTTP-Referer", "https://a"}, {"X-Title", "T"}}));
}

TEST(ProviderExtras, AzureApiVersionGoesInTheQueryNeverAHeader) {
  EXPECT_TRUE(ProviderQuery(Provider::kAzureOpenAI, Options("")).empty());
  auto q = ProviderQuery(Provider::kAzureOpenAI, Options("2024-06-01"));
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].first, "api-version");
  EXPECT_EQ(q[0].second, "2024-06-01");
  EXPECT_TRUE(ProviderHeaders(Provider::kAzureOpenAI, Options("2024-06-01"), {})
                  .empty());
  EXPECT_TRUE(ProviderQuery(Provider::kOpenAI, Options("2024-06-01")).empty());
}

TEST(ProviderExtras, OptionsBelongToTheProvidersThatUseThem) {
  EXPECT_TRUE(
      ProviderUsesOption(Provider::kOpenRouter, ProviderOption::kTitle));
  EXPECT_FALSE(ProviderUsesOption(Provider::kOpenAI, ProviderOption::kTitle));
  EXPECT_TRUE(
      ProviderUsesOption(Provider::kAzureOpenAI, ProviderOption::kApiVersion));
  EXPECT_TRUE(
      ProviderUsesOption(Provider::kAnthropic, ProviderOption::kApiVersion));
  EXPECT_FALSE(
      ProviderUsesOption(Provider::kGemini, ProviderOption::kApiVersion));
}

TEST(ProviderTable, EveryKeyHeaderIsACredentialHeader) {
  for (const ProviderInfo& p : kProviders) {
    EXPECT_EQ(p.key_required, !p.auth.header.empty()) << p.name;
    if (p.key_required)
      EXPECT_TRUE(IsCredentialHeader(p.auth.header)) << p.name;
  }
}

}  // namespace
}  // namespace keyref
