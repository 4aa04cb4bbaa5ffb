// Fuzzes the base-URL parser and the request path and query checks.
// Properties: an accepted URL is http(s) with a host and a port in range,
// and its Origin() parses again to the same origin; a refused URL's message
// and hint never quote the user name or password it carried
// (keyref/base_url.h: messages never quote the URL); encoding then decoding
// a query component gives it back.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "keyref/base_url.h"

using keyref::fuzz::Check;

namespace {

// The userinfo of an authority ("user:pass" in "http://user:pass@host"),
// found the simple way: between "//" and the last "@" before the path.
std::string Userinfo(const std::string& url) {
  std::size_t start = url.find("//");
  if (start == std::string::npos) return {};
  start += 2;
  std::size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end - start);
  std::size_t at = authority.rfind('@');
  return at == std::string::npos ? std::string() : authority.substr(0, at);
}

// The URL with its userinfo's letters and digits rotated (a->b, 9->0):
// same structure, different bytes.
std::string Rotated(const std::string& url, const std::string& info) {
  std::string out = url;
  std::size_t at = url.find(info, url.find("//") + 2);
  for (std::size_t i = at; i < at + info.size(); ++i) {
    char& c = out[i];
    if (c >= 'a' && c <= 'z') c = c == 'z' ? 'a' : c + 1;
    if (c >= 'A' && c <= 'Z') c = c == 'Z' ? 'A' : c + 1;
    if (c >= '0' && c <= '9') c = c == '9' ? '0' : c + 1;
  }
  return out;
}

// A user name or password found in the message is quoted only if the
// message of the same URL with that userinfo rotated holds the rotated
// text too (the fixed text itself says "user:password@").
void CheckNotQuoted(const keyref::Error& e, const std::string& url) {
  std::string info = Userinfo(url);
  if (info.size() < 4) return;
  std::string other_url = Rotated(url, info);
  keyref::Result<keyref::BaseUrl> other = keyref::ParseBaseUrl(other_url);
  if (other.ok()) return;
  std::string other_info = Userinfo(other_url);
  const keyref::Error& o = other.error();
  for (const std::string* text : {&e.message, &e.hint}) {
    const std::string& otext = text == &e.message ? o.message : o.hint;
    Check(!(text->find(info) != std::string::npos &&
            otext.find(other_info) != std::string::npos),
          "BAD_BASE_URL text quotes the userinfo");
  }
  std::size_t colon = info.find(':');
  if (colon == std::string::npos) return;
  std::string pass = info.substr(colon + 1);
  std::string opass = other_info.substr(colon + 1);
  if (pass.size() < 4 || pass == opass) return;
  for (const std::string* text : {&e.message, &e.hint}) {
    const std::string& otext = text == &e.message ? o.message : o.hint;
    Check(!(text->find(pass) != std::string::npos &&
            otext.find(opass) != std::string::npos),
          "BAD_BASE_URL text quotes the password");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  keyref::fuzz::Input in(data, size);
  const std::uint8_t mode = in.Byte();
  const std::string text(in.Rest());
  switch (mode % 3) {
    case 0: {
      keyref::Result<keyref::BaseUrl> r = keyref::ParseBaseUrl(text);
      if (!r) {
        CheckNotQuoted(r.error(), text);
        break;
      }
      const keyref::BaseUrl& u = r.value();
      Check(!u.host.empty(), "accepted URL without host");
      Check(u.port > 0 && u.port < 65536, "port out of range");
      Check(u.path.empty() || (u.path[0] == '/' && u.path.back() != '/'),
            "path not normalised");
      keyref::Result<keyref::BaseUrl> again = keyref::ParseBaseUrl(u.Origin());
      Check(again.ok(), "Origin() of an accepted URL is refused");
      Check(again.value().Origin() == u.Origin(), "Origin() not stable");
      Check(keyref::CheckQuery(u.query).ok(), "accepted query fails check");
      (void)u.HostHeader();
      break;
    }
    case 1:
      (void)keyref::CheckRequestPath(text);
      break;
    case 2: {
      std::string enc = keyref::EncodeQueryComponent(text);
      Check(keyref::DecodeQueryComponent(enc) == text, "query round trip");
      keyref::QueryList q{
          {text.substr(0, text.size() / 2), text.substr(text.size() / 2)}};
      (void)keyref::CheckQuery(q);
      (void)keyref::BuildQueryString(q);
      break;
    }
  }
  return 0;
}
