// The outbound request builder: the one place a key is put on the wire.
//
// A request names its key by reference (HttpRequest::api_key_ref). Execute
// checks everything that can be checked first (provider and ref, caller
// headers, base URL, path, query, proxy), then resolves the key, writes it
// into the provider's header as late as possible, sends, wipes, and scrubs
// everything it hands back (body, headers, events, error messages) of the
// key: the exact value and any run of 8 or more of its characters
// (KeyScrubber), then through the instance's Redactor.
//
// HTTP is cpp-httplib with OpenSSL: certificates verified against the system
// store (plus an optional extra CA bundle), keep-alive connections reused
// per origin, http:// proxies (CONNECT for https). Design notes and the
// honest list of residual copies of the key: docs/requests.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keyref/base_url.h"
#include "keyref/error.h"
#include "keyref/live_secret.h"
#include "keyref/origin.h"
#include "keyref/process_env.h"
#include "keyref/provider.h"
#include "keyref/proxy.h"
#include "keyref/redactor.h"
#include "keyref/ref.h"
#include "keyref/sse_parser.h"

namespace httplib {
class ClientImpl;
}  // namespace httplib

namespace keyref {

class KeyScrubberCache;

// One request, as the TypeScript layer validated it.
struct HttpRequest {
  Provider provider = Provider::kOpenAI;
  std::string base_url;
  // apiKeyRef: WHERE the key lives (a validated ref such as env:NAME or
  // secret:NAME), never the key: refs are safe to log, sync and show, keys
  // are not. Resolved only inside Execute. Absent exactly for providers that
  // take no key (ollama).
  std::optional<ParsedRef> api_key_ref;
  std::string method = "POST";
  std::string path;    // appended to the base URL's path
  HeaderList headers;  // caller headers (checked by CheckCallerHeaders)
  QueryList query;     // added to the base URL's query
  std::string body;
  std::string content_type;                   // sent when the body is not empty
  std::chrono::milliseconds timeout{600000};  // total, retries included
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{120000};  // idle time between bytes
  ProxySettings proxy;
  std::string ca_file;      // extra CA bundle (PEM file), added to the system's
  std::string ca_pem;       // extra CA certificates (PEM text)
  int retries = 0;          // extra attempts for 429/503 (Retry-After honoured)
  std::string referer;      // openrouter: HTTP-Referer
  std::string title;        // openrouter: X-Title
  std::string api_version;  // azure-openai: api-version query; anthropic
  bool stream_events = false;  // parse text/event-stream into events
};

// A response, already scrubbed. Header names are lower-case.
struct HttpResponse {
  int status = 0;
  HeaderList headers;
  std::string body;  // empty when the events went to the EventSink
};

// Why a request was stopped early.
enum class CancelReason { kNone = 0, kAborted, kTimeout, kClosed };

// Shared between the thread running a request and whoever may stop it (the
// JS thread on abort, the client's deadline watchdog, Close). Thread-safe.
class RequestControl {
 public:
  // Stops the request: the first reason wins. The connection in use is shut
  // down at once, so a blocked read returns promptly.
  void Cancel(CancelReason reason);
  CancelReason reason() const { return reason_.load(); }
  bool cancelled() const { return reason_.load() != CancelReason::kNone; }

  // Sleeps up to `d`; returns false when cancelled meanwhile.
  bool SleepFor(std::chrono::milliseconds d);

  // Internal to HttpClient: the connection the request is using now.
  void Attach(httplib::ClientImpl* client);
  void Detach();

 private:
  std::atomic<CancelReason> reason_{CancelReason::kNone};
  std::mutex mu_;
  std::condition_variable cv_;
  httplib::ClientImpl* active_ = nullptr;
};

// Receives each event, scrubbed, on the thread running the request, in
// order, and then `on_read` once after the events of each read from the
// socket, where a receiver that queues events for another thread hands them
// over: one hand-over per read rather than per event. Returning false from
// either stops the request (as an abort). Neither blocks for long (the addon
// waits only while its queue to JavaScript is full).
struct EventSink {
  std::function<bool(SseEvent&&)> on_event;
  std::function<bool()> on_read;  // optional

  EventSink() = default;
  EventSink(std::nullptr_t) {}  // NOLINT: no sink, as for std::function
  template <typename F, typename = std::enable_if_t<
                            std::is_invocable_r_v<bool, F&, SseEvent&&> &&
                            !std::is_same_v<std::decay_t<F>, EventSink>>>
  EventSink(F f) : on_event(std::move(f)) {}  // NOLINT: as std::function

  explicit operator bool() const { return static_cast<bool>(on_event); }
  bool operator()(SseEvent&& event) const { return on_event(std::move(event)); }
};
// Resolves a ref to its key and the origins the key may go to, for a
// request to `target` with `provider` (Instance::Grant: refuses an unbound
// target before resolving). Blocking. Execute checks the grant's binding
// against the final target once more right before the key is written
// (docs/origins.md).
using KeyResolver = std::function<Result<KeyGrant>(
    const ParsedRef& ref, Provider provider, const BaseUrl& target)>;

// Checks a request without resolving anything: provider and ref agree, the
// caller headers (HEADER_FORBIDDEN), the base URL, path and query
// (BAD_BASE_URL) and the proxy (PROXY_FAILED). Fills *url on success.
Status ValidateRequest(const HttpRequest& request, BaseUrl* url);

// Tuning of one HttpClient.
struct HttpClientOptions {
  // Requests running at once (one worker thread each, started on demand);
  // more wait their turn in FIFO order.
  std::size_t max_concurrent = 128;
  // Idle keep-alive connections kept per origin.
  std::size_t max_idle_per_origin = 16;
  // Largest body kept for a non-streamed response.
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  // Where the TLS trust variables (SSL_CERT_FILE, SSL_CERT_DIR,
  // NODE_EXTRA_CA_CERTS) are read when a connection is made, on a worker
  // (process_env.h). Null: captured by the constructor.
  std::shared_ptr<const ProcessEnv> env;
};

// One per keyref instance: the worker threads, the connection pool and the
// deadline watchdog.
class HttpClient {
 public:
  explicit HttpClient(const Redactor& redactor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs `task` on a worker thread of this client (not libuv's pool, which
  // long streams would starve). At most max_concurrent run at once.
  void Submit(std::function<void()> task);

  // Sends `request` and waits for the whole response. Blocking: call it on
  // a worker thread. Events go to `on_event` when request.stream_events and
  // the response is text/event-stream. Resolves to a response for every
  // HTTP status; an Error only when no complete response was had.
  Result<HttpResponse> Execute(const HttpRequest& request,
                               const KeyResolver& resolve,
                               RequestControl& control,
                               const EventSink& on_event);

  // Cancels every running request (reason kClosed) and drops idle
  // connections and the cached key scrubbers. Later requests fail.
  void Close();

  // Drops the cached key scrubbers (KeyScrubberCache, key_scrubber.h): the
  // instance calls it when a key is stored or deleted.
  void ForgetKeys();

  // The cache ForgetKeys and Close drop, for tests.
  KeyScrubberCache& KeyScrubbersForTesting();

 private:
  struct State;
  // Marks the client closed and cancels its running requests (Close, and
  // the exit handler: exit_gate.h).
  static void CancelAll(State& st);
  std::shared_ptr<State> state_;
  int exit_stopper_ = 0;
};

}  // namespace keyref
