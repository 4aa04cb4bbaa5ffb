#include "http/http_runtime.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <utility>

#include "http/trailer_filter.h"
#include "http/trust_store.h"
#include "keyref/exit_gate.h"

namespace keyref::http {

// ---- WorkerPool -----------------------------------------------------------

WorkerPool::WorkerPool(std::size_t max_threads)
    : inner_(std::make_shared<Inner>()) {
  inner_->max_threads = std::max<std::size_t>(1, max_threads);
}

WorkerPool::~WorkerPool() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(inner_->mu);
    inner_->stopping = true;
    inner_->queue.clear();
    threads.swap(inner_->threads);
  }
  inner_->cv.notify_all();
  for (std::thread& t : threads) {
    // The last owner of the client may let go on a worker thread; joining
    // it from itself would deadlock, so it is detached (it only returns).
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else if (t.joinable()) {
      t.join();
    }
  }
}

void WorkerPool::Submit(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(inner_->mu);
  Inner& in = *inner_;
  if (in.stopping) return;
  in.queue.push_back(std::move(task));
  if (in.idle < in.queue.size() && in.threads.size() < in.max_threads) {
    in.threads.emplace_back([inner = inner_] { Run(inner); });
  } else {
    in.cv.notify_one();
  }
}

void WorkerPool::Run(const std::shared_ptr<Inner>& inner) {
  Inner& in = *inner;
  std::unique_lock<std::mutex> lock(in.mu);
  for (;;) {
    ++in.idle;
    in.cv.wait(lock, [&in] { return in.stopping || !in.queue.empty(); });
    --in.idle;
    if (in.stopping) return;
    std::function<void()> task = std::move(in.queue.front());
    in.queue.pop_front();
    lock.unlock();
    {
      // The exit handler waits for the task (exit_gate.h).
      exit_gate::Busy busy;
      task();
      task = nullptr;  // release what it captured before taking the lock
    }
    lock.lock();
  }
}

// ---- Watchdog -------------------------------------------------------------

Watchdog::Watchdog() = default;

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

std::uint64_t Watchdog::Add(Clock::time_point deadline,
                            std::shared_ptr<RequestControl> control) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t token = next_++;
  by_time_.emplace(deadline, token);
  entries_.emplace(token, std::make_pair(deadline, std::move(control)));
  if (!thread_.joinable()) {
    // Started on first use: an instance that never sends has no thread.
    thread_ = std::thread([this] { Run(); });
  } else if (deadline < wake_at_) {
    // Only a deadline earlier than the one the thread sleeps until needs a
    // wake-up; the common case (long timeouts) costs no context switch.
    cv_.notify_one();
  }
  return token;
}

void Watchdog::Remove(std::uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return;
  auto range = by_time_.equal_range(it->second.first);
  for (auto t = range.first; t != range.second; ++t) {
    if (t->second == token) {
      by_time_.erase(t);
      break;
    }
  }
  entries_.erase(it);
}

void Watchdog::Run() {
  // With nothing due sooner it still wakes once a minute, to pick up
  // deadlines added without a notification.
  constexpr auto kTick = std::chrono::seconds(60);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    Clock::time_point now = Clock::now();
    if (!by_time_.empty() && by_time_.begin()->first <= now) {
      std::uint64_t token = by_time_.begin()->second;
      by_time_.erase(by_time_.begin());
      auto it = entries_.find(token);
      if (it == entries_.end()) continue;
      std::shared_ptr<RequestControl> control = it->second.second.lock();
      entries_.erase(it);
      lock.unlock();
      if (control) control->Cancel(CancelReason::kTimeout);
      control.reset();
      lock.lock();
      continue;
    }
    wake_at_ = now + kTick;
    if (!by_time_.empty())
      wake_at_ = std::min(wake_at_, by_time_.begin()->first);
    cv_.wait_until(lock, wake_at_);
  }
}

// ---- ConnectionPool -------------------------------------------------------

std::string ConnectionSpec::Key() const {
  std::string key = url.Origin();
  if (proxy) {
    key += "|proxy=" + proxy->host + ":" + std::to_string(proxy->port) + ":" +
           std::to_string(
               std::hash<std::string>()(proxy->user + "\n" + proxy->password));
  }
  if (!ca_file.empty()) key += "|cafile=" + ca_file;
  if (!ca_pem.empty()) {
    key += "|ca=" + std::to_string(ca_pem.size()) + ":" +
           std::to_string(std::hash<std::string>()(ca_pem));
  }
  return key;
}

namespace {

Error TlsError(std::string message) {
  return Error(ErrorCode::kTlsFailed, std::move(message),
               "Check the caFile / ca option: it must be PEM certificates.");
}

}  // namespace

Result<Connection> ConnectionPool::Acquire(const ConnectionSpec& spec,
                                           bool fresh) {
  Connection c;
  c.key = spec.Key();
  if (!fresh) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(c.key);
    if (it != idle_.end() && !it->second.empty()) {
      c.client = std::move(it->second.back());
      it->second.pop_back();
      c.reused = true;
      return c;
    }
  }
  if (spec.url.tls) {
    InitOpenSsl();  // before httplib makes its SSL_CTX
    // The trust store is built here, not left to OpenSSL's compiled-in
    // directory, which a prebuilt addon's static OpenSSL cannot know
    // (trust_store.h).
    // The trust variables come from the environment the instance captured,
    // never getenv(): this is a worker thread (process_env.h).
    const ProcessEnv* env = spec.env.get();
    Result<X509_STORE*> store = MakeTrustStore(
        [env](const char* name) -> const char* {
          return env ? env->Get(name) : nullptr;
        },
        spec.ca_file, spec.ca_pem);
    if (!store) return std::move(store).error();
    std::unique_ptr<httplib::SSLClient> ssl =
        MakeTlsClient(spec.url.host, spec.url.port);
    if (!ssl->is_valid()) {
      X509_STORE_free(store.value());
      return TlsError("Could not set up TLS.");
    }
    SSL_CTX_set_min_proto_version(ssl->ssl_context(), TLS1_2_VERSION);
    ssl->set_ca_cert_store(store.value());  // the SSL_CTX owns it now
    // Verification is on by default in httplib (the store above, then the
    // host name); keyref never turns it off.
    ssl->enable_server_certificate_verification(true);
    c.client = std::move(ssl);
  } else {
    c.client = MakePlainClient(spec.url.host, spec.url.port);
  }
  c.client->set_keep_alive(true);
  c.client->set_tcp_nodelay(true);
  c.client->set_url_encode(false);  // keyref encodes the path and query
  c.client->set_follow_location(false);
  if (spec.proxy) {
    c.client->set_proxy(spec.proxy->host, spec.proxy->port);
    if (!spec.proxy->user.empty()) {
      c.client->set_proxy_basic_auth(spec.proxy->user, spec.proxy->password);
    }
  }
  return c;
}

void ConnectionPool::Release(Connection connection) {
  if (!connection.client || !connection.client->is_socket_open()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto& list = idle_[connection.key];
  if (list.size() < max_idle_) list.push_back(std::move(connection.client));
}

void ConnectionPool::Clear() {
  std::unordered_map<std::string,
                     std::vector<std::unique_ptr<httplib::ClientImpl>>>
      old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old.swap(idle_);
  }
}

}  // namespace keyref::http
