// Fuzzes the chunked-trailer filter under httplib (native/src/http/
// trailer_filter.h). Properties: a well-formed chunked response built from
// the input (chunk sizes, extensions, trailer fields, random splits into
// reads) comes out byte for byte as the same response without its trailer
// fields; arbitrary bytes never grow, and a response that is not chunked
// passes unchanged.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "http/trailer_filter.h"

using keyref::fuzz::Check;

namespace {

std::string Filtered(const std::string& in,
                     const std::vector<std::size_t>& cuts) {
  keyref::http::TrailerFilter f;
  std::string out;
  std::size_t pos = 0;
  auto feed = [&](std::size_t n) {
    std::string part = in.substr(pos, n);
    pos += part.size();
    std::size_t kept = f.Filter(part.data(), part.size());
    Check(kept <= part.size(), "the filter grew its input");
    out.append(part, 0, kept);
  };
  for (std::size_t c : cuts) feed(c);
  feed(in.size());
  return out;
}

std::string Hex(std::size_t n) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), d[n % 16]);
    n /= 16;
  } while (n);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  const std::uint8_t mode = in.Byte();
  std::vector<std::size_t> cuts;
  for (std::size_t i = in.Byte() % 12; i > 0; --i) cuts.push_back(in.Byte());

  if (mode % 2 == 0) {  // arbitrary bytes
    std::string raw(in.Rest());
    std::string out = Filtered(raw, cuts);
    std::string lower = raw;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    if (lower.find("transfer-encoding") == std::string::npos) {
      Check(out == raw, "a response that is not chunked was changed");
    }
    return 0;
  }
  // A well-formed chunked response.
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::string body;
  for (std::size_t i = in.Byte() % 6; i > 0; --i) {
    std::string chunk(in.Take(1 + in.Byte()));
    if (chunk.empty()) break;
    std::string ext = (in.Byte() & 1) ? ";ext=\"a\"" : "";
    body += ((in.Byte() & 1) ? Hex(chunk.size()) : [&] {
      std::string h = Hex(chunk.size());
      for (char& c : h) c = static_cast<char>(std::toupper(c));
      return h;
    }()) + ext + "\r\n" + chunk + "\r\n";
  }
  body += "0\r\n";
  std::string trailers;
  for (std::size_t i = in.Byte() % 4; i > 0; --i) {
    std::string value;
    for (std::size_t j = in.Byte() % 40; j > 0; --j) {
      char c = static_cast<char>(in.Byte());
      if (c != '\r' && c != '\n') value.push_back(c);
    }
    trailers += "X-T" + std::to_string(i) + ": " + value + "\r\n";
  }
  std::string expected = head + body + "\r\n";
  std::string got = Filtered(head + body + trailers + "\r\n", cuts);
  Check(got == expected, "trailers not removed exactly");
  return 0;
}
