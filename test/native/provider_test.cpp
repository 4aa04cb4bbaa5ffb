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

}  // namespace
}  // namespace keyref
