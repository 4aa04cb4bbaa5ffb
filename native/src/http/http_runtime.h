// Internal parts of HttpClient: the worker threads, the deadline watchdog
// and the keep-alive connection pool. Not a public header.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "keyref/base_url.h"
#include "keyref/error.h"
#include "keyref/http_client.h"
#include "keyref/proxy.h"

namespace keyref::http {

// A bounded set of threads started on demand. Tasks beyond max run later,
// in order. The destructor runs no more tasks and joins the threads; when it
// runs on one of them (the last owner let go on a worker) that one is
// detached instead of joined.
class WorkerPool {
 public:
  explicit WorkerPool(std::size_t max_threads);
  ~WorkerPool();
  void Submit(std::function<void()> task);

 private:
  // Shared with the threads, so that a thread detached by the destructor
  // still finds its queue and lock when its task returns.
  struct Inner {
    std::size_t max_threads = 1;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    std::vector<std::thread> threads;
    std::size_t idle = 0;
    bool stopping = false;
  };
  static void Run(const std::shared_ptr<Inner>& inner);

  std::shared_ptr<Inner> inner_;
};

// Cancels requests whose total deadline passed, from one thread.
class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  Watchdog();
  ~Watchdog();
  // Returns a token for Remove.
  std::uint64_t Add(Clock::time_point deadline,
                    std::shared_ptr<RequestControl> control);
  void Remove(std::uint64_t token);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::uint64_t> by_time_;
  std::unordered_map<std::uint64_t, std::pair<Clock::time_point,
                                              std::weak_ptr<RequestControl>>>
      entries_;
  std::uint64_t next_ = 1;
  bool stopping_ = false;
  Clock::time_point wake_at_ = Clock::time_point::min();  // when Run wakes
  std::thread thread_;
};

// What identifies a reusable connection: origin, proxy and CA settings.
struct ConnectionSpec {
  BaseUrl url;
  std::optional<ProxyServer> proxy;
  std::string ca_file;
  std::string ca_pem;
  // Where SSL_CERT_FILE, SSL_CERT_DIR and NODE_EXTRA_CA_CERTS are read (the
  // client's captured environment: this runs on a worker). One per pool,
  // so not part of the key.
  std::shared_ptr<const ProcessEnv> env;

  std::string Key() const;
};

// A connection (an httplib client owns one socket) and whether it served a
// request before.
struct Connection {
  std::unique_ptr<httplib::ClientImpl> client;
  std::string key;
  bool reused = false;
};

// Idle keep-alive connections per origin.
class ConnectionPool {
 public:
  explicit ConnectionPool(std::size_t max_idle_per_key)
      : max_idle_(max_idle_per_key) {}
  // An idle connection for `spec` (unless `fresh`), or a new one
  // (TLS_FAILED when an extra CA cannot be loaded).
  Result<Connection> Acquire(const ConnectionSpec& spec, bool fresh = false);
  // Returns a connection that finished a request cleanly.
  void Release(Connection connection);
  void Clear();

 private:
  const std::size_t max_idle_;
  std::mutex mu_;
  std::unordered_map<std::string,
                     std::vector<std::unique_ptr<httplib::ClientImpl>>>
      idle_;
};

// What one attempt of a request saw (filled by httplib's callbacks).
struct Attempt {
  bool got_headers = false;  // a response status line and headers arrived
  bool got_bytes = false;    // any byte of the response
  bool sse = false;          // the body is parsed as server-sent events
  bool sink_stopped = false;
  bool too_big = false;
  // The response head (or a chunk-size line) was larger than httplib reads.
  bool head_too_large = false;
  std::chrono::steady_clock::time_point last_byte;
  HttpResponse response;
};

// The Error for a send that produced no whole response (connection, TLS,
// proxy, timeout, dropped mid-body …). Messages name the origin, never a
// value; the caller still scrubs them.
Error DescribeSendFailure(httplib::Error herr, const Attempt& at,
                          const BaseUrl& url, bool via_proxy,
                          long tls_verify_result,
                          std::chrono::milliseconds read_timeout,
                          std::size_t max_body_bytes);

}  // namespace keyref::http
