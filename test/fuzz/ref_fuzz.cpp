// Fuzzes the ref parser (CheckRef, ParseRef) and DescribeRefError.
// Properties beyond "no crash": the verdict is deterministic; a valid ref is
// ASCII, at most kMaxRefLength bytes, and parses again to the same parts; a
// refused ref's message and hint never quote the input (docs/apikeyref.md).
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "keyref/ref.h"

using keyref::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  const auto allowed = keyref::SchemeSet::FromBits(in.Byte());
  const bool truncated = (in.Byte() & 1) != 0;
  const std::string input(in.Rest());

  keyref::RefCheck c = keyref::CheckRef(input, allowed, truncated);
  keyref::RefCheck again = keyref::CheckRef(input, allowed, truncated);
  Check(c.code == again.code && c.rule == again.rule &&
            c.position == again.position,
        "CheckRef is not deterministic");
  if (c.ok()) {
    Check(input.size() <= keyref::kMaxRefLength, "valid ref over max length");
    for (unsigned char ch : input) Check(ch < 0x80, "valid ref not ASCII");
    Check(c.scheme_known && allowed.Has(c.scheme), "scheme not allowed");
    keyref::Result<keyref::ParsedRef> p = keyref::ParseRef(input, allowed);
    Check(p.ok(), "CheckRef ok but ParseRef failed");
    Check(p.value().ref == input, "ParsedRef.ref differs from the input");
    Check(p.value().name == std::string(c.parts.name), "name differs");
    return 0;
  }
  Check(c.position <= input.size() + 1, "position past the input");
  keyref::Error e = keyref::DescribeRefError(c);
  Check(e.code == c.code, "DescribeRefError changed the code");
  Check(!e.message.empty(), "empty message");
  // The text must not depend on the input: the verdict's views into the
  // input are its only link to it, and cutting them changes nothing.
  keyref::RefCheck blind = c;
  blind.parts = keyref::RefParts{};
  keyref::Error b = keyref::DescribeRefError(blind);
  Check(e.message == b.message && e.hint == b.hint,
        "DescribeRefError depends on the input's bytes");
  return 0;
}
