// Lets responses with chunked trailers through cpp-httplib 0.11, whose
// chunked decoder expects the blank line right after the last chunk and
// fails the whole response when a trailer field comes first (a valid
// response then surfaced as CONNECT_FAILED). keyref does not use trailer
// fields, and RFC 9112 (7.1.2) lets a recipient discard them, so the bytes
// of the trailer section are dropped below httplib, on the socket stream,
// and everything else passes unchanged. docs/reliability.md has the test.
// Internal to native/src/http; not a public header.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "keyref/secret_value.h"

namespace keyref::http {

// A byte-stream filter for one HTTP/1.1 response as it arrives: it follows
// the response head and, when the body is chunked, the chunk framing, and
// removes the trailer field lines after the last chunk. Input it cannot
// follow (an over-long head line, a chunk size that is not hex) is passed
// through untouched from there on, for httplib to judge.
class TrailerFilter {
 public:
  // Filters `n` bytes at `buf` in place; returns how many remain.
  std::size_t Filter(char* buf, std::size_t n);
  // Whether a head line or chunk-size line went past what httplib reads
  // (CPPHTTPLIB_HEADER_MAX_LENGTH bytes), or the head past
  // CPPHTTPLIB_HEADER_MAX_COUNT fields (third_party/patches): httplib fails
  // such a response, and this says why (RESPONSE_TOO_LARGE).
  bool head_too_large() const noexcept { return head_too_large_; }

 private:
  enum class State {
    kHead,      // status line and header fields
    kSize,      // a chunk-size line
    kData,      // chunk data (remaining_ bytes left)
    kDataEnd,   // the CRLF after chunk data
    kTrailer,   // start of a line of the trailer section
    kDropLine,  // inside a trailer field line: dropped
    kPass,      // everything else: passed as it is
  };
  void EndHeadLine();
  void EndSizeLine();

  State state_ = State::kHead;
  std::string line_;  // the current head or size line, bounded
  bool line_overflow_ = false;
  bool chunked_ = false;
  enum class HeadPart {
    kStatusLine,  // the next head line is a status line
    kSkipLine,    // the line httplib drops after a "100" status line
    kFields,      // header fields up to the blank line
  };
  HeadPart part_ = HeadPart::kStatusLine;
  bool te_seen_ = false;      // the first Transfer-Encoding field decides
  std::size_t line_len_ = 0;  // bytes of the current line, uncapped
  std::size_t head_lines_ = 0;
  bool head_too_large_ = false;
  std::uint64_t remaining_ = 0;
};

// The key on its way to the socket (docs/requests.md, "Where the key
// exists"). The request builder puts placeholder() where the key goes in
// the key's header; while a KeyOnWire lives on a thread, the first write on
// that thread of bytes holding the placeholder (the request head, which
// httplib writes in one piece) goes to the socket with the key in its
// place, from a buffer in locked, dump-excluded pages (a SecretValue) wiped
// right after. So the key is never in httplib's memory: not in
// Request::headers, not in the copies handle_request makes of the Request,
// not in the serialised head nor in the stack buffer each header line is
// formatted in. The placeholder is 128 bits made here, never repeated and
// unpredictable outside the process (SipHash-128 of a per-thread counter
// under keys from the OS RNG, drawn again in a fork()ed child), known to
// nothing but the request builder, so a caller's header, path or body
// cannot hold it and take the key somewhere else in the request.
class KeyOnWire {
 public:
  // `key` must outlive this object.
  explicit KeyOnWire(const SecretValue& key);
  ~KeyOnWire();
  KeyOnWire(const KeyOnWire&) = delete;
  KeyOnWire& operator=(const KeyOnWire&) = delete;

  const std::string& placeholder() const noexcept { return placeholder_; }

 private:
  friend class TrailerFilterStream;
  const SecretValue& key_;
  std::string placeholder_;
  KeyOnWire* outer_;  // the one this replaced on the thread (none in practice)
  bool written_ = false;
};

// The stream every request and response of keyref's clients travel on:
// reads pass through a TrailerFilter; the request head is written with the
// key spliced in (KeyOnWire).
class TrailerFilterStream : public httplib::Stream {
 public:
  explicit TrailerFilterStream(httplib::Stream& inner) : inner_(inner) {}
  bool is_readable() const override { return inner_.is_readable(); }
  bool is_writable() const override { return inner_.is_writable(); }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    inner_.get_remote_ip_and_port(ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    inner_.get_local_ip_and_port(ip, port);
  }
  socket_t socket() const override { return inner_.socket(); }

 private:
  // Writes `size` bytes in full; false on a write error.
  bool WriteAll(const char* ptr, std::size_t size);

  httplib::Stream& inner_;
  TrailerFilter filter_;
};

// Whether the last response read on this thread failed for a head or
// chunk-size line too long, or too many header fields (see
// TrailerFilter::head_too_large); reading clears it.
bool TakeHeadTooLarge() noexcept;

// How far the last send on this thread got with the request itself. The
// clients below set it in process_socket, which httplib calls for the
// request's own exchange only: after any CONNECT, never for it. So a send
// that httplib reports done while this is not kAnswered was answered by the
// proxy (a CONNECT refused with 407: httplib returns that answer as the
// response and leaves the proxy's socket open, with no TLS session).
enum class Reached {
  kNothing,       // the request was never written (no exchange ran)
  kNoTlsSession,  // an https connection without a TLS session: refused
  kCutShort,      // the exchange ran but ended without a whole response
  kAnswered,      // the request was written and a whole response read
};

// What the last send on this thread reached (see Reached); reading resets
// it to kNothing.
Reached TakeReached() noexcept;

// httplib clients whose responses are read through a TrailerFilterStream.
std::unique_ptr<httplib::ClientImpl> MakePlainClient(const std::string& host,
                                                     int port);
std::unique_ptr<httplib::SSLClient> MakeTlsClient(const std::string& host,
                                                  int port);

}  // namespace keyref::http
