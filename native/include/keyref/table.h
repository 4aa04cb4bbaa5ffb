// A compile-time check for the core's constexpr tables (kSchemes,
// kErrorCodes, kProviders): row i describes enumerator i, so a lookup by
// enum value is an index and a forgotten row fails to compile.
#pragma once

#include <cstddef>

namespace keyref {

// True when key(rows[i]) == i for every row.
template <typename Row, std::size_t N, typename Key>
constexpr bool RowsInEnumOrder(const Row (&rows)[N], Key key) {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(key(rows[i])) != i) return false;
  }
  return true;
}

}  // namespace keyref
