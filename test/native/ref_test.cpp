#include "keyref/ref.h"

#include <gtest/gtest.h>

namespace keyref {
namespace {

TEST(RefSmoke, ParsesSecret) {
  auto r = ParseRef("secret:openai/prod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().scheme, Scheme::kSecret);
  EXPECT_EQ(r.value().name, "openai/prod");
}

}  // namespace
}  // namespace keyref
