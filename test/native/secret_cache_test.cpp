#include "keyref/secret_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace keyref {
namespace {

using namespace std::chrono_literals;

TEST(SecretCacheTest, OffWhenTtlIsZero) {
  SecretCache c(0ms);
  c.Put("k", SecretValue::FromBytes("v", 1));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.Get("k").empty());
}

TEST(SecretCacheTest, GetReturnsACopyUntilExpiry) {
  SecretCache c(80ms);
  c.Put("k", SecretValue::FromBytes("v", 1));
  SecretValue a = c.Get("k");
  EXPECT_EQ(a.Reveal(), "v");
  EXPECT_TRUE(c.Contains("k"));
  std::this_thread::sleep_for(120ms);
  EXPECT_FALSE(c.Contains("k"));
  EXPECT_TRUE(c.Get("k").empty());
  EXPECT_EQ(a.Reveal(), "v");  // the copy is independent
}

TEST(SecretCacheTest, EraseAndClear) {
  SecretCache c(60000ms);
  c.Put("a", SecretValue::FromBytes("1", 1));
  c.Put("b", SecretValue::FromBytes("2", 1));
  c.Erase("a");
  EXPECT_FALSE(c.Contains("a"));
  EXPECT_TRUE(c.Contains("b"));
  c.Clear();
  EXPECT_EQ(c.size(), 0u);
  c.Put("c", SecretValue::FromBytes("3", 1));  // after Clear: not kept
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
}  // namespace keyref
