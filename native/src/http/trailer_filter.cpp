#include "http/trailer_filter.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <string_view>
#include <utility>

#include "keyref/secret_value.h"
#include "redaction/internal.h"

namespace keyref::http {
namespace {

constexpr std::size_t kMaxLine = 4096;

std::string Lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

}  // namespace

// ---- TrailerFilter -----------------------------------------------------

// Mirrors how httplib 0.11 reads a response head, so that the filter never
// takes for chunked a body httplib reads otherwise: lines end at LF (one CR
// before it dropped), the blank line is "\r\n" or "\n", the first line is
// the status line, and the body is chunked when the FIRST Transfer-Encoding
// field's value, after leading blanks, is "chunked" (any case).
// After a "100" status line httplib drops exactly one line, whatever it
// holds, and reads the next as the status line (read_response_line); the
// fields follow the last status line only.
void TrailerFilter::EndHeadLine() {
  const std::size_t len = line_len_;
  line_len_ = 0;
  if (!line_overflow_ && !line_.empty() && line_.back() == '\r') {
    line_.pop_back();
  }
  if (part_ != HeadPart::kFields) {
    // httplib's getline fails a line of more than this before its LF.
    if (len > CPPHTTPLIB_HEADER_MAX_LENGTH) head_too_large_ = true;
    if (part_ == HeadPart::kSkipLine) {
      part_ = HeadPart::kStatusLine;
    } else {
      const bool interim = !line_overflow_ && line_.size() >= 12 &&
                           line_.compare(0, 7, "HTTP/1.") == 0 &&
                           line_.compare(8, 4, " 100") == 0;
      part_ = interim ? HeadPart::kSkipLine : HeadPart::kFields;
    }
    line_.clear();
    line_overflow_ = false;
    return;
  }
  // read_headers fails a line of more than this, LF included, and the
  // line after CPPHTTPLIB_HEADER_MAX_COUNT + 1 read (third_party/patches).
  if (len + 1 > CPPHTTPLIB_HEADER_MAX_LENGTH ||
      ++head_lines_ > CPPHTTPLIB_HEADER_MAX_COUNT + 1) {
    head_too_large_ = true;
  }
  if (line_.empty() && !line_overflow_) {  // the blank line: head is over
    state_ = chunked_ ? State::kSize : State::kPass;
    return;
  }
  std::size_t colon = line_.find(':');
  if (!line_overflow_ && !te_seen_ && colon != std::string::npos &&
      Lower(line_.substr(0, colon)) == "transfer-encoding") {
    te_seen_ = true;
    std::size_t v = line_.find_first_not_of(" \t", colon + 1);
    chunked_ = v != std::string::npos && Lower(line_.substr(v)) == "chunked";
  }
  line_.clear();
  line_overflow_ = false;
}

void TrailerFilter::EndSizeLine() {
  // getline fails a chunk-size line of more than this before its LF.
  if (line_len_ > CPPHTTPLIB_HEADER_MAX_LENGTH) head_too_large_ = true;
  line_len_ = 0;
  std::uint64_t size = 0;
  std::size_t digits = 0;
  for (char c : line_) {
    int v = std::isxdigit(static_cast<unsigned char>(c))
                ? (std::isdigit(static_cast<unsigned char>(c))
                       ? c - '0'
                       : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10)
                : -1;
    if (v < 0) break;
    if (++digits > 15) break;  // too large for anyone: httplib refuses it
    size = size * 16 + static_cast<unsigned>(v);
  }
  line_.clear();
  if (digits == 0 || digits > 15 || line_overflow_) {
    state_ = State::kPass;
  } else if (size == 0) {
    state_ = State::kTrailer;
  } else {
    remaining_ = size;
    state_ = State::kData;
  }
  line_overflow_ = false;
}

std::size_t TrailerFilter::Filter(char* buf, std::size_t n) {
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = buf[i];
    bool keep = true;
    switch (state_) {
      case State::kHead:
      case State::kSize:
        if (c == '\n') {
          if (state_ == State::kHead) {
            EndHeadLine();
          } else {
            EndSizeLine();
          }
          break;
        }
        // httplib fails a line longer than this (third_party/patches):
        // flagged as it grows, since the LF may never come.
        if (++line_len_ > CPPHTTPLIB_HEADER_MAX_LENGTH) head_too_large_ = true;
        if (line_.size() < kMaxLine) {
          line_.push_back(c);
        } else {
          line_overflow_ = true;
        }
        break;
      case State::kData: {
        // Pass the rest of the chunk's data in one step.
        std::size_t take = static_cast<std::size_t>(
            std::min<std::uint64_t>(remaining_, n - i));
        std::copy(buf + i, buf + i + take, buf + out);
        out += take;
        i += take - 1;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kDataEnd;
        keep = false;
        break;
      }
      case State::kDataEnd:
        if (c == '\n') state_ = State::kSize;
        break;
      case State::kTrailer:
        // A blank line ends the message; anything else is a field: drop it.
        if (c == '\n') {
          state_ = State::kPass;
        } else if (c != '\r') {
          state_ = State::kDropLine;
          keep = false;
        }
        break;
      case State::kDropLine:
        if (c == '\n') state_ = State::kTrailer;
        keep = false;
        break;
      case State::kPass:
        break;
    }
    if (keep) buf[out++] = c;
  }
  return out;
}

// ---- TrailerFilterStream -------------------------------------------------

namespace {
thread_local KeyOnWire* t_key_on_wire = nullptr;

// The placeholders of one thread: SipHash-128 of a counter under keys drawn
// from the OS RNG at the thread's first send, and again at its first send in
// a fork()ed child (which gets a copy of this state and would otherwise
// repeat its parent's next placeholders). As unpredictable as 128 fresh
// random bits to anyone who cannot read the process's memory, and never
// repeated (the counter), without asking the RNG on every send (RAND_bytes
// took ~2 % of a small request's CPU; docs/performance.md).
struct PlaceholderSource {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
  std::uint64_t counter = 0;
  pid_t pid = 0;  // the process the keys were drawn in; 0: not yet

  void Next(std::uint64_t* lo, std::uint64_t* hi) {
    if (pid != getpid()) {
      std::uint64_t key[2];
      redaction::RandomWords(key, 2);
      k0 = key[0];
      k1 = key[1];
      SecureZero(key, sizeof key);
      counter = 0;
      pid = getpid();
    }
    const std::uint64_t n = counter++;
    redaction::SipHash128(
        k0, k1, std::string_view(reinterpret_cast<const char*>(&n), sizeof n),
        lo, hi);
  }
};
thread_local PlaceholderSource t_placeholders;

}  // namespace

KeyOnWire::KeyOnWire(const SecretValue& key) : key_(key) {
  std::uint64_t half[2];
  t_placeholders.Next(&half[0], &half[1]);
  static const char kHex[] = "0123456789abcdef";
  placeholder_ = "keyref-key-";
  for (std::uint64_t h : half) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      placeholder_.push_back(kHex[(h >> shift) & 15]);
    }
  }
  outer_ = std::exchange(t_key_on_wire, this);
}

KeyOnWire::~KeyOnWire() { t_key_on_wire = outer_; }

bool TrailerFilterStream::WriteAll(const char* ptr, std::size_t size) {
  for (std::size_t done = 0; done < size;) {
    ssize_t n = inner_.write(ptr + done, size - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

ssize_t TrailerFilterStream::write(const char* ptr, size_t size) {
  KeyOnWire* k = t_key_on_wire;
  if (!k || k->written_) return inner_.write(ptr, size);
  std::string_view bytes(ptr, size);
  std::size_t at = bytes.find(k->placeholder_);
  if (at == std::string_view::npos) return inner_.write(ptr, size);
  // The head with the key in the placeholder's place, in pages that are
  // locked, kept out of core dumps and wiped when `head` goes (a
  // SecretValue); written whole, so that no part of it waits in httplib.
  const std::size_t after = at + k->placeholder_.size();
  SecretValue head = SecretValue::FromBytes(ptr, at);
  std::string_view key = k->key_.Reveal();
  head.Append(key.data(), key.size());
  head.Append(ptr + after, size - after);
  k->written_ = true;
  std::string_view out = head.Reveal();
  if (!WriteAll(out.data(), out.size())) return -1;
  return static_cast<ssize_t>(size);
}

namespace {
thread_local bool t_head_too_large = false;
thread_local Reached t_reached = Reached::kNothing;
}  // namespace

bool TakeHeadTooLarge() noexcept {
  return std::exchange(t_head_too_large, false);
}

Reached TakeReached() noexcept {
  return std::exchange(t_reached, Reached::kNothing);
}

ssize_t TrailerFilterStream::read(char* ptr, size_t size) {
  for (;;) {
    ssize_t n = inner_.read(ptr, size);
    if (n <= 0) return n;
    std::size_t kept = filter_.Filter(ptr, static_cast<std::size_t>(n));
    if (filter_.head_too_large()) t_head_too_large = true;
    // All of it was a trailer field: read on, as httplib wants bytes.
    if (kept > 0) return static_cast<ssize_t>(kept);
  }
}

// ---- Clients -------------------------------------------------------------

namespace {

bool Wait(int fd, short events, time_t sec, time_t usec) {
  pollfd p{fd, events, 0};
  int ms = static_cast<int>(sec * 1000 + usec / 1000);
  int r;
  do {
    r = ::poll(&p, 1, ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

// The TLS stream httplib uses (its own is not in its public header): reads
// and writes on the SSL object, waiting with the client's timeouts.
class TlsStream : public httplib::Stream {
 public:
  TlsStream(int sock, SSL* ssl, time_t rs, time_t ru, time_t ws, time_t wu)
      : sock_(sock), ssl_(ssl), rs_(rs), ru_(ru), ws_(ws), wu_(wu) {}
  bool is_readable() const override {
    return SSL_pending(ssl_) > 0 || Wait(sock_, POLLIN, rs_, ru_);
  }
  bool is_writable() const override { return Wait(sock_, POLLOUT, ws_, wu_); }
  ssize_t read(char* ptr, size_t size) override {
    int want = static_cast<int>(std::min<size_t>(size, INT_MAX));
    for (int tries = 0; tries < 1000; ++tries) {
      if (!is_readable()) return -1;
      int r = SSL_read(ssl_, ptr, want);
      if (r > 0) return r;
      if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ) return r;
    }
    return -1;
  }
  ssize_t write(const char* ptr, size_t size) override {
    int want = static_cast<int>(std::min<size_t>(size, INT_MAX));
    for (int tries = 0; tries < 1000; ++tries) {
      if (!is_writable()) return -1;
      int r = SSL_write(ssl_, ptr, want);
      if (r > 0) return r;
      if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_WRITE) return r;
    }
    return -1;
  }
  // Used by httplib's server side only.
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  socket_t socket() const override { return sock_; }

 private:
  int sock_;
  SSL* ssl_;
  time_t rs_, ru_, ws_, wu_;
};

// The request's own exchange on `strm`, and what it reached (TakeReached).
bool Exchange(httplib::Stream& strm,
              const std::function<bool(httplib::Stream&)>& callback) {
  t_reached = Reached::kCutShort;
  const bool done = callback(strm);
  if (done) t_reached = Reached::kAnswered;
  return done;
}

// Both override httplib's (private, virtual) process_socket, the one place
// a client builds the stream a request and its response travel on, and
// which httplib calls for the request itself, never for a CONNECT.
class PlainClient : public httplib::ClientImpl {
 public:
  using ClientImpl::ClientImpl;

 private:
  bool process_socket(const Socket& socket,
                      std::function<bool(httplib::Stream&)> callback) override {
    return httplib::detail::process_client_socket(
        socket.sock, read_timeout_sec_, read_timeout_usec_, write_timeout_sec_,
        write_timeout_usec_, [&](httplib::Stream& strm) {
          TrailerFilterStream filtered(strm);
          return Exchange(filtered, callback);
        });
  }
};

class TlsClient : public httplib::SSLClient {
 public:
  using SSLClient::SSLClient;

 private:
  bool process_socket(const Socket& socket,
                      std::function<bool(httplib::Stream&)> callback) override {
    // httplib skips the CONNECT and the handshake on an open socket; one
    // without a TLS session (a refused CONNECT leaves the proxy's socket so)
    // must never carry a request: no origin is on it, and TlsStream would
    // call SSL_write with a null SSL (it crashed the process). keyref never
    // reuses such a connection (http_client.cpp pools only answered ones);
    // this is the check behind that rule.
    if (socket.ssl == nullptr) {
      t_reached = Reached::kNoTlsSession;
      return false;
    }
    TlsStream tls(socket.sock, socket.ssl, read_timeout_sec_,
                  read_timeout_usec_, write_timeout_sec_, write_timeout_usec_);
    TrailerFilterStream filtered(tls);
    return Exchange(filtered, callback);
  }
};

}  // namespace

std::unique_ptr<httplib::ClientImpl> MakePlainClient(const std::string& host,
                                                     int port) {
  return std::make_unique<PlainClient>(host, port);
}

std::unique_ptr<httplib::SSLClient> MakeTlsClient(const std::string& host,
                                                  int port) {
  return std::make_unique<TlsClient>(host, port);
}

}  // namespace keyref::http
