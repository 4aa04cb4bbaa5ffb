#include "keyref/http_client.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "http/http_runtime.h"
#include "http/trailer_filter.h"
#include "http/trust_store.h"
#include "keyref/exit_gate.h"
#include "keyref/key_scrubber.h"
#include "keyref/request_head.h"

namespace keyref {

// ---- RequestControl -------------------------------------------------------

void RequestControl::Cancel(CancelReason reason) {
  CancelReason expected = CancelReason::kNone;
  reason_.compare_exchange_strong(expected, reason);
  std::lock_guard<std::mutex> lock(mu_);
  // ClientImpl::stop() is the one thread-safe way into a client in use: it
  // shuts the socket down, so a read blocked in poll() returns at once.
  if (active_) active_->stop();
  cv_.notify_all();
}

bool RequestControl::SleepFor(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return cancelled(); });
}

void RequestControl::Attach(httplib::ClientImpl* client) {
  std::lock_guard<std::mutex> lock(mu_);
  active_ = client;
  if (cancelled() && client) client->stop();
}

void RequestControl::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  active_ = nullptr;
}

// ---- Validation -----------------------------------------------------------

Status ValidateRequest(const HttpRequest& request, BaseUrl* url) {
  if (ProviderNeedsKey(request.provider) && !request.api_key_ref) {
    return Error(ErrorCode::kInternal, std::string("The provider ") +
                                           ProviderName(request.provider) +
                                           " needs apiKeyRef.");
  }
  if (!ProviderNeedsKey(request.provider) && request.api_key_ref) {
    return Error(ErrorCode::kHeaderForbidden,
                 std::string("The provider ") + ProviderName(request.provider) +
                     " takes no key; apiKeyRef is refused for it.",
                 "Remove apiKeyRef.");
  }
  if (Status st = CheckCallerHeaders(request.headers); !st) return st;
  if (Status st = CheckRequestHead(request); !st) return st;
  Result<BaseUrl> parsed = ParseBaseUrl(request.base_url);
  if (!parsed) return std::move(parsed).error();
  if (Status st = CheckRequestPath(request.path); !st) return st;
  if (Status st = CheckQuery(request.query); !st) return st;
  Result<std::optional<ProxyServer>> proxy =
      SelectProxy(request.proxy, parsed.value());
  if (!proxy) return std::move(proxy).error();
  *url = std::move(parsed).value();
  return {};
}

// ---- HttpClient -----------------------------------------------------------

// The options with their environment: captured here, on the thread that
// makes the client, when the caller gave none.
HttpClientOptions WithEnv(HttpClientOptions o) {
  if (!o.env) o.env = ProcessEnv::Capture();
  return o;
}

struct HttpClient::State {
  State(const Redactor& r, HttpClientOptions o)
      : redactor(r),
        options(WithEnv(std::move(o))),
        pool(options.max_idle_per_origin),
        workers(options.max_concurrent) {}
  const Redactor& redactor;
  HttpClientOptions options;
  std::atomic<bool> closed{false};
  http::ConnectionPool pool;
  std::mutex mu;
  std::vector<std::weak_ptr<RequestControl>> running;  // for Close()
  // The scrubbers of the keys sent last (key_scrubber.h).
  KeyScrubberCache scrubbers;
  // Declared last: destroyed first, so no worker or watchdog thread runs
  // while the pool above is torn down.
  http::Watchdog watchdog;
  http::WorkerPool workers;
};

HttpClient::HttpClient(const Redactor& redactor, HttpClientOptions options)
    : state_(std::make_shared<State>(redactor, options)) {
  // OpenSSL is initialised by now (trust_store.cpp, at load): the exit
  // handler armed here runs before OpenSSL's (exit_gate.h).
  http::InitOpenSsl();
  exit_gate::Arm();
  // At exit, this client's requests are cancelled (no new one starts) so
  // that its workers leave OpenSSL before OpenSSL is torn down.
  std::weak_ptr<State> weak = state_;
  exit_stopper_ = exit_gate::AddStopper([weak] {
    if (auto st = weak.lock()) CancelAll(*st);
  });
}

HttpClient::~HttpClient() {
  exit_gate::RemoveStopper(exit_stopper_);
  Close();
}

void HttpClient::Submit(std::function<void()> task) {
  state_->workers.Submit(std::move(task));
}

void HttpClient::CancelAll(State& st) {
  st.closed = true;
  std::vector<std::weak_ptr<RequestControl>> running;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    running.swap(st.running);
  }
  for (auto& w : running) {
    if (auto c = w.lock()) c->Cancel(CancelReason::kClosed);
  }
}

void HttpClient::Close() {
  CancelAll(*state_);
  state_->pool.Clear();
  // For good: a request already past the `closed` check keeps nothing.
  state_->scrubbers.Close();
}

void HttpClient::ForgetKeys() { state_->scrubbers.Clear(); }

KeyScrubberCache& HttpClient::KeyScrubbersForTesting() {
  return state_->scrubbers;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Scrubs one string handed back: the request's key first (exact value and
// 8+ character runs), then the instance's redactor.
void ScrubOut(const KeyScrubber& key, const Redactor& redactor,
              std::string* text) {
  if (text->empty()) return;
  key.ScrubInPlace(text);
  std::string out;
  if (redactor.Scrub(*text, &out)) *text = std::move(out);
}

Error Scrubbed(Error e, const KeyScrubber& key, const Redactor& redactor) {
  ScrubOut(key, redactor, &e.message);
  ScrubOut(key, redactor, &e.hint);
  return e;
}

Error CancelError(CancelReason reason) {
  switch (reason) {
    case CancelReason::kAborted:
      return Error(ErrorCode::kRequestAborted, "The request was aborted.");
    case CancelReason::kTimeout:
      return Error(ErrorCode::kRequestTimeout,
                   "The request took longer than timeoutMs.",
                   "Raise timeoutMs, or check that the server answers.");
    case CancelReason::kClosed:
      return Error(ErrorCode::kRequestAborted,
                   "The request was stopped because the Sidecar was closed.");
    case CancelReason::kNone:
      break;
  }
  return Error(ErrorCode::kInternal, "The request stopped.");
}

// Seconds or an HTTP date; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    const std::string& value) {
  if (value.empty()) return std::nullopt;
  bool digits = value.size() < 10;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (digits) return std::chrono::milliseconds(std::stoll(value) * 1000);
  std::tm tm{};
  if (strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
    std::time_t when = timegm(&tm);
    std::time_t now = std::time(nullptr);
    return std::chrono::milliseconds(
        when > now ? static_cast<long long>(when - now) * 1000 : 0);
  }
  return std::nullopt;
}

// ---- The parts of Execute ------------------------------------------------

ProviderOptionValues OptionValues(const HttpRequest& request) {
  return {{request.api_version, request.referer, request.title}};
}

// The request target: the base URL's path and the caller's path, then the
// base URL's query, the caller's and the provider's (provider.h).
std::string RequestTarget(const HttpRequest& request, const BaseUrl& url) {
  std::string target = url.path + request.path;
  if (target.empty()) target = "/";
  QueryList query = url.query;
  query.insert(query.end(), request.query.begin(), request.query.end());
  for (auto& q : ProviderQuery(request.provider, OptionValues(request))) {
    query.push_back(std::move(q));
  }
  if (!query.empty()) target += "?" + BuildQueryString(query);
  return target;
}

// Every header but the key: the caller's, Host, keyref's defaults, then the
// provider's extras (provider.h).
void SetHeaders(const HttpRequest& request, const BaseUrl& url,
                httplib::Request* hreq) {
  for (const auto& [name, value] : request.headers) {
    hreq->headers.emplace(name, value);
  }
  hreq->headers.emplace("Host", url.HostHeader());
  if (!hreq->has_header("User-Agent")) {
    hreq->headers.emplace("User-Agent", "keyref/0.1");
  }
  if (!hreq->has_header("Accept")) {
    hreq->headers.emplace(
        "Accept", request.stream_events ? "text/event-stream, */*" : "*/*");
  }
  if (!request.body.empty() && !hreq->has_header("Content-Type")) {
    hreq->headers.emplace("Content-Type", request.content_type.empty()
                                              ? "application/json"
                                              : request.content_type);
  }
  for (auto& [name, value] : ProviderHeaders(
           request.provider, OptionValues(request), request.headers)) {
    hreq->headers.emplace(std::move(name), std::move(value));
  }
}

// The key's header, last, holding a placeholder rather than the key: the
// stream writes the key in its place on the way to the socket, so httplib
// never holds the key (http::KeyOnWire; docs/requests.md, "Where the key
// exists").
void PutKeyHeader(ProviderAuth auth, const http::KeyOnWire& key,
                  httplib::Request* hreq) {
  hreq->headers.emplace(std::string(auth.header),
                        std::string(auth.prefix) + key.placeholder());
}

// What every attempt of one Execute shares.
struct Exchange {
  const HttpRequest& request;
  const BaseUrl& url;
  std::string target;
  const LiveSecret* key;      // null for providers that take no key
  const KeyBinding* binding;  // where `key` may go (null with it)
  const KeyScrubber& scrub;
  const Redactor& redactor;
  RequestControl& control;
  const EventSink& on_event;
  std::size_t max_body_bytes;
};

// The outcome of one send on one connection.
struct Sent {
  bool ok = false;  // httplib had a whole exchange (maybe only the proxy's)
  // Whether that exchange was the request's own (http::Reached): only then
  // is `response` an answer to the request.
  http::Reached reached = http::Reached::kNothing;
  httplib::Error error = httplib::Error::Success;
  // What httplib read: the proxy's answer when it answered itself, else the
  // response head (and the body, when no callback took it).
  httplib::Response response;
  http::Attempt at;
};

// One attempt: builds the request, writes it with the key, and streams the
// answer into `sent->at` (events scrubbed and handed to the sink as they
// arrive).
void SendOnce(const Exchange& ex, httplib::ClientImpl& cli, Sent* sent) {
  const HttpRequest& request = ex.request;
  http::Attempt& at = sent->at;
  httplib::Request hreq;
  hreq.method = request.method;
  hreq.path = ex.target;
  SetHeaders(request, ex.url, &hreq);
  hreq.body = request.body;

  at.last_byte = Clock::now();
  SseParser parser([&](SseEvent&& ev) {
    ScrubOut(ex.scrub, ex.redactor, &ev.data);
    ScrubOut(ex.scrub, ex.redactor, &ev.event);
    ScrubOut(ex.scrub, ex.redactor, &ev.id);
    if (!ex.on_event(std::move(ev))) {
      at.sink_stopped = true;
      return false;
    }
    return true;
  });
  hreq.response_handler = [&](const httplib::Response& res) {
    at.got_headers = true;
    at.got_bytes = true;
    at.last_byte = Clock::now();
    at.response.status = res.status;
    for (const auto& [name, value] : res.headers) {
      at.response.headers.emplace_back(Lower(name), value);
    }
    std::string ct = Lower(res.get_header_value("Content-Type"));
    at.sse = request.stream_events && ex.on_event &&
             ct.rfind("text/event-stream", 0) == 0;
    return !ex.control.cancelled();
  };
  hreq.content_receiver = [&](const char* data, std::size_t n, std::uint64_t,
                              std::uint64_t) {
    at.last_byte = Clock::now();
    if (ex.control.cancelled()) return false;
    if (at.sse) {
      if (!parser.Feed(std::string_view(data, n))) return false;
      if (ex.on_event.on_read && !ex.on_event.on_read()) {
        at.sink_stopped = true;
        return false;
      }
      return true;
    }
    if (at.response.body.size() + n > ex.max_body_bytes) {
      at.too_big = true;
      return false;
    }
    at.response.body.append(data, n);
    return true;
  };

  // The key is spliced into the head as it is written, on this thread.
  std::optional<http::KeyOnWire> key_on_wire;
  if (ex.key) {
    key_on_wire.emplace(ex.key->value());
    PutKeyHeader(AuthFor(request.provider), *key_on_wire, &hreq);
  }
  ex.control.Attach(&cli);
  http::TakeHeadTooLarge();
  http::TakeReached();
  sent->ok = ex.control.cancelled()
                 ? false
                 : cli.send(hreq, sent->response, sent->error);
  sent->at.head_too_large = http::TakeHeadTooLarge();
  sent->reached = http::TakeReached();
  ex.control.Detach();
}

// Whether a send that completed was answered by the proxy itself rather
// than by the request's own exchange: a CONNECT the proxy refused (httplib
// returns that answer as a finished send, and runs no exchange with the
// origin), or, for plain http through a forward proxy, a 407, which only a
// proxy sends (RFC 9110, 15.5.8). Decided by the code path (Sent::reached),
// not by the method or the callbacks: httplib calls no response callback
// for a HEAD or a 204, whoever answers.
bool ProxyAnswered(const Exchange& ex, bool via_proxy, const Sent& sent) {
  if (sent.reached != http::Reached::kAnswered) return true;
  return via_proxy && !ex.url.tls && sent.response.status == 407;
}

// The response of a send the request's own exchange answered: the one the
// callbacks collected, or, when httplib called none (HEAD, 204), the one it
// read itself.
void TakeResponse(Sent* sent) {
  http::Attempt& at = sent->at;
  if (!at.got_headers) {
    at.response.status = sent->response.status;
    for (const auto& [name, value] : sent->response.headers) {
      at.response.headers.emplace_back(Lower(name), value);
    }
    at.response.body = sent->response.body;
  }
}

// PROXY_FAILED for a send the proxy answered itself (ProxyAnswered). Only
// the proxy's status is kept: its headers and body are no answer to the
// request.
Error ProxyRefused(const Exchange& ex, const Sent& sent) {
  const std::string status = std::to_string(sent.response.status);
  if (ex.url.tls) {
    return Error(
        ErrorCode::kProxyFailed,
        "The proxy refused to open a tunnel (CONNECT answered " + status + ").",
        "Check the proxy setting and its credentials.");
  }
  return Error(ErrorCode::kProxyFailed,
               "The proxy refused the request (it answered " + status + ").",
               "Check the proxy setting and its credentials.");
}

// The retry decision for a whole response: 429 and 503 while retries are
// left, after Retry-After (capped at 60 s) or else a backoff doubling from
// 500 ms up to 30 s. nullopt: hand the response back.
struct RetryBudget {
  int left = 0;
  int backoff_ms = 500;
};
std::optional<std::chrono::milliseconds> RetryWait(const HttpResponse& res,
                                                   RetryBudget* budget) {
  if ((res.status != 429 && res.status != 503) || budget->left <= 0) {
    return std::nullopt;
  }
  --budget->left;
  std::string ra;
  for (const auto& [n, v] : res.headers) {
    if (n == "retry-after") ra = v;
  }
  std::chrono::milliseconds wait = ParseRetryAfter(ra).value_or(
      std::chrono::milliseconds(budget->backoff_ms));
  budget->backoff_ms = std::min(budget->backoff_ms * 2, 30000);
  return std::min(wait, std::chrono::milliseconds(60000));
}

// The retry decision for a send without a whole response: a kept-alive
// connection the server had closed fails before any byte arrives; try once
// more on a new connection (not another idle one, which may be just as
// stale).
bool RetryOnNewConnection(const http::Connection& c, const Sent& sent,
                          bool stale_retry_used) {
  return c.reused && !sent.at.got_bytes && !stale_retry_used &&
         (sent.error == httplib::Error::Read ||
          sent.error == httplib::Error::Write ||
          sent.error == httplib::Error::Connection);
}

// The key: resolved here, on this worker thread, and alive until the
// response is scrubbed (LiveSecret registers it with the redactor), with
// the origins it may be written to. The resolver refuses a target the key
// is not bound to before resolving (docs/origins.md). Refused when it could
// never be sent in a header. The scrubber is the cached one when the same
// value was sent a moment ago (KeyScrubberCache). Errors are not yet
// scrubbed.
Status ResolveKey(const HttpRequest& request, const BaseUrl& url,
                  const KeyResolver& resolve, KeyScrubberCache& scrubbers,
                  std::optional<KeyGrant>* grant, KeyScrubber* scrub) {
  if (!request.api_key_ref) return {};
  Result<KeyGrant> r = resolve(*request.api_key_ref, request.provider, url);
  if (!r) return std::move(r).error();
  grant->emplace(std::move(r).value());
  const SecretValue& value = (*grant)->key.value();
  if (Status s = ValidateSecretValue(value); !s) return s;
  *scrub = scrubbers.For(value);
  return {};
}

// The binding check on the final target, right before a send writes the key
// (docs/origins.md): `ex.url` is the origin this connection goes to, and
// redirects are never followed, so no other origin can receive the header.
Status CheckBeforeWrite(const Exchange& ex, httplib::ClientImpl& cli) {
  if (!ex.key) return {};
  cli.set_follow_location(false);
  return CheckKeyOrigin(*ex.binding, *ex.request.api_key_ref,
                        ex.request.provider, ex.url);
}

// The connections of one Execute, shared by its attempts.
struct Wire {
  http::ConnectionPool& pool;
  http::ConnectionSpec spec;
};

// Attempts until a whole response is had (after any 429/503 retries and one
// retry on a stale keep-alive connection) or the request fails.
Result<HttpResponse> RunAttempts(const Exchange& ex, Wire& wire) {
  const HttpRequest& request = ex.request;
  RetryBudget budget{std::max(0, request.retries)};
  bool stale_retry_used = false;
  const bool via_proxy = wire.spec.proxy.has_value();
  for (;;) {
    Result<http::Connection> conn =
        wire.pool.Acquire(wire.spec, stale_retry_used);
    if (!conn) return Scrubbed(std::move(conn).error(), ex.scrub, ex.redactor);
    http::Connection c = std::move(conn).value();
    httplib::ClientImpl& cli = *c.client;
    cli.set_connection_timeout(request.connect_timeout);
    cli.set_read_timeout(request.read_timeout);
    cli.set_write_timeout(request.read_timeout);

    if (Status s = CheckBeforeWrite(ex, cli); !s) {
      return Scrubbed(std::move(s).error(), ex.scrub, ex.redactor);
    }
    Sent sent;
    SendOnce(ex, cli, &sent);

    if (ex.control.cancelled()) return CancelError(ex.control.reason());
    if (sent.ok && ProxyAnswered(ex, via_proxy, sent)) {
      // `c` is dropped, never pooled: after a refused CONNECT its socket is
      // the proxy's, open and without TLS.
      return Scrubbed(ProxyRefused(ex, sent), ex.scrub, ex.redactor);
    }
    if (sent.ok) {
      // Only a connection whose own exchange completed goes back to the
      // pool (the rule that keeps a proxy's socket out of it).
      TakeResponse(&sent);
      wire.pool.Release(std::move(c));
      if (auto wait = RetryWait(sent.at.response, &budget)) {
        if (!ex.control.SleepFor(*wait)) {
          return CancelError(ex.control.reason());
        }
        continue;
      }
      HttpResponse& res = sent.at.response;
      for (auto& [name, value] : res.headers) {
        ScrubOut(ex.scrub, ex.redactor, &name);
        ScrubOut(ex.scrub, ex.redactor, &value);
      }
      ScrubOut(ex.scrub, ex.redactor, &res.body);
      return std::move(res);
    }
    if (sent.reached == http::Reached::kNoTlsSession) {
      return Scrubbed(Error(ErrorCode::kInternal,
                            "keyref found a connection to " + ex.url.Origin() +
                                " without TLS and sent nothing on it."),
                      ex.scrub, ex.redactor);
    }
    if (RetryOnNewConnection(c, sent, stale_retry_used)) {
      stale_retry_used = true;
      continue;
    }
    if (sent.at.sink_stopped) return CancelError(CancelReason::kAborted);
    long verify =
        ex.url.tls
            ? static_cast<httplib::SSLClient&>(cli).get_openssl_verify_result()
            : 0;
    Error e = http::DescribeSendFailure(sent.error, sent.at, ex.url, via_proxy,
                                        verify, request.read_timeout,
                                        ex.max_body_bytes);
    return Scrubbed(std::move(e), ex.scrub, ex.redactor);
  }
}

}  // namespace

Result<HttpResponse> HttpClient::Execute(const HttpRequest& request,
                                         const KeyResolver& resolve,
                                         RequestControl& control,
                                         const EventSink& on_event) {
  State& st = *state_;
  const Redactor& redactor = st.redactor;
  KeyScrubber no_key;
  if (st.closed) return CancelError(CancelReason::kClosed);

  // Everything that can be refused is refused before the key is resolved.
  BaseUrl url;
  if (Status s = ValidateRequest(request, &url); !s) {
    return Scrubbed(std::move(s).error(), no_key, redactor);
  }
  std::optional<ProxyServer> proxy =
      std::move(SelectProxy(request.proxy, url)).value();
  // A key never crosses a proxy in clear text: a plain http request that
  // carries one (http is bindable for loopback hosts only, docs/origins.md)
  // goes straight to its origin, whatever proxy option, HTTP_PROXY or
  // NO_PROXY says. A proxy sees an https request's key never (CONNECT).
  if (!url.tls && request.api_key_ref) proxy.reset();

  // Register with Close() and the total-deadline watchdog. The control is
  // owned by the caller; a no-op deleter lets the watchdog hold a weak_ptr.
  std::shared_ptr<RequestControl> control_ref(&control, [](RequestControl*) {});
  {
    std::lock_guard<std::mutex> lock(st.mu);
    auto& r = st.running;
    r.erase(std::remove_if(r.begin(), r.end(),
                           [](const auto& w) { return w.expired(); }),
            r.end());
    r.push_back(control_ref);
  }
  std::uint64_t watch =
      st.watchdog.Add(Clock::now() + request.timeout, control_ref);
  struct Unwatch {
    http::Watchdog& w;
    std::uint64_t token;
    ~Unwatch() { w.Remove(token); }
  } unwatch{st.watchdog, watch};

  std::optional<KeyGrant> grant;
  KeyScrubber scrub;
  if (Status s =
          ResolveKey(request, url, resolve, st.scrubbers, &grant, &scrub);
      !s) {
    return Scrubbed(std::move(s).error(), no_key, redactor);
  }
  if (control.cancelled()) return CancelError(control.reason());

  const Exchange ex{request,
                    url,
                    RequestTarget(request, url),
                    grant ? &grant->key : nullptr,
                    grant ? &grant->binding : nullptr,
                    scrub,
                    redactor,
                    control,
                    on_event,
                    st.options.max_body_bytes};
  Wire wire{st.pool,
            {url, proxy, request.ca_file, request.ca_pem, st.options.env}};
  return RunAttempts(ex, wire);
}

}  // namespace keyref
