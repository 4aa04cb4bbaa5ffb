// Helpers shared by the redactor and logger tests.
#pragma once

#include <random>
#include <string>

namespace keyref::testing_util {

// A fresh secret of `n` bytes from [a-z0-9] that matches no credential shape
// when n < 32 (so only rule 1 can catch it). The fingerprint store is
// process-wide, so every test draws its own.
inline std::string FreshSecret(std::size_t n = 24) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(abc[rng() % 36]);
  return s;
}

// A fresh key body of `n` characters from [A-Za-z0-9] holding at least one
// of each (so its alphabet is the 62 symbols of real keys, and the no-oracle
// rule counts runs of 12).
inline std::string FreshKey(std::size_t n) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(abc[rng() % 62]);
  if (n >= 3) {
    s[rng() % n] = 'Q';
    s[rng() % n] = 'q';
    s[rng() % n] = '7';
  }
  return s;
}

}  // namespace keyref::testing_util
