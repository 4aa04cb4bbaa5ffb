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
  bool status_line_seen_ = false;
  bool te_seen_ = false;  // the first Transfer-Encoding field decides
  std::uint64_t remaining_ = 0;
};

// While one lives on a thread, a request sent on that thread runs `fn` once
// its bytes are written, before its response is read. HttpClient wipes the
// key's header value there, so the key is not left in ordinary memory while
// the server takes its time (docs/requests.md, "Where the key exists").
class OnRequestWritten {
 public:
  explicit OnRequestWritten(std::function<void()> fn);
  ~OnRequestWritten();
  OnRequestWritten(const OnRequestWritten&) = delete;
  OnRequestWritten& operator=(const OnRequestWritten&) = delete;
};

// The stream every request and response of keyref's clients travel on:
// reads pass through a TrailerFilter; bytes written are wiped from
// httplib's buffer once the socket (or TLS) has them, since that buffer
// holds the serialised request head, key header included, and httplib
// frees it without wiping. httplib never reads a buffer again after
// writing it (requests are rebuilt for every attempt).
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
  httplib::Stream& inner_;
  TrailerFilter filter_;
  bool read_started_ = false;
};

// httplib clients whose responses are read through a TrailerFilterStream.
std::unique_ptr<httplib::ClientImpl> MakePlainClient(const std::string& host,
                                                     int port);
std::unique_ptr<httplib::SSLClient> MakeTlsClient(const std::string& host,
                                                  int port);

}  // namespace keyref::http
