#include "keyref/http_client.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "http/http_runtime.h"
#include "keyref/key_scrubber.h"

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

struct HttpClient::State {
  State(const Redactor& r, HttpClientOptions o)
      : redactor(r),
        options(o),
        pool(o.max_idle_per_origin),
        workers(o.max_concurrent) {}
  const Redactor& redactor;
  HttpClientOptions options;
  std::atomic<bool> closed{false};
  http::ConnectionPool pool;
  std::mutex mu;
  std::vector<std::weak_ptr<RequestControl>> running;  // for Close()
  // Declared last: destroyed first, so no worker or watchdog thread runs
  // while the pool above is torn down.
  http::Watchdog watchdog;
  http::WorkerPool workers;
};

HttpClient::HttpClient(const Redactor& redactor, HttpClientOptions options)
    : state_(std::make_shared<State>(redactor, options)) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Submit(std::function<void()> task) {
  state_->workers.Submit(std::move(task));
}

void HttpClient::Close() {
  state_->closed = true;
  std::vector<std::weak_ptr<RequestControl>> running;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    running.swap(state_->running);
  }
  for (auto& w : running) {
    if (auto c = w.lock()) c->Cancel(CancelReason::kClosed);
  }
  state_->pool.Clear();
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

  std::string target = url.path + request.path;
  if (target.empty()) target = "/";
  QueryList query = url.query;
  query.insert(query.end(), request.query.begin(), request.query.end());
  if (request.provider == Provider::kAzureOpenAI &&
      !request.api_version.empty()) {
    query.emplace_back("api-version", request.api_version);
  }
  if (!query.empty()) target += "?" + BuildQueryString(query);

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

  // The key: resolved here, on this worker thread, and alive until the
  // response is scrubbed. LiveSecret registers it with the redactor. The
  // resolver refuses a target the key is not bound to before resolving.
  std::optional<KeyGrant> grant;
  const LiveSecret* key = nullptr;
  KeyScrubber scrub;
  if (request.api_key_ref) {
    Result<KeyGrant> r = resolve(*request.api_key_ref, request.provider, url);
    if (!r) return Scrubbed(std::move(r).error(), no_key, redactor);
    grant.emplace(std::move(r).value());
    key = &grant->key;
    if (Status s = ValidateSecretValue(key->value()); !s) {
      return Scrubbed(std::move(s).error(), no_key, redactor);
    }
    scrub = KeyScrubber(key->value());
  }
  if (control.cancelled()) return CancelError(control.reason());

  http::ConnectionSpec spec{url, proxy, request.ca_file, request.ca_pem};
  const ProviderAuth auth = AuthFor(request.provider);
  int retries_left = std::max(0, request.retries);
  int backoff_ms = 500;
  bool stale_retry_used = false;

  for (;;) {
    Result<http::Connection> conn = st.pool.Acquire(spec, stale_retry_used);
    if (!conn) return Scrubbed(std::move(conn).error(), scrub, redactor);
    http::Connection c = std::move(conn).value();
    httplib::ClientImpl& cli = *c.client;
    cli.set_connection_timeout(request.connect_timeout);
    cli.set_read_timeout(request.read_timeout);
    cli.set_write_timeout(request.read_timeout);

    httplib::Request hreq;
    hreq.method = request.method;
    hreq.path = target;
    for (const auto& [name, value] : request.headers) {
      hreq.headers.emplace(name, value);
    }
    hreq.headers.emplace("Host", url.HostHeader());
    if (!hreq.has_header("User-Agent")) {
      hreq.headers.emplace("User-Agent", "keyref/0.1");
    }
    if (!hreq.has_header("Accept")) {
      hreq.headers.emplace(
          "Accept", request.stream_events ? "text/event-stream, */*" : "*/*");
    }
    if (!request.body.empty() && !hreq.has_header("Content-Type")) {
      hreq.headers.emplace("Content-Type", request.content_type.empty()
                                               ? "application/json"
                                               : request.content_type);
    }
    if (request.provider == Provider::kAnthropic &&
        !hreq.has_header("anthropic-version")) {
      hreq.headers.emplace("anthropic-version",
                           request.api_version.empty()
                               ? std::string(kDefaultAnthropicVersion)
                               : request.api_version);
    }
    if (request.provider == Provider::kOpenRouter) {
      if (!request.referer.empty())
        hreq.headers.emplace("HTTP-Referer", request.referer);
      if (!request.title.empty())
        hreq.headers.emplace("X-Title", request.title);
    }
    hreq.body = request.body;

    http::Attempt at;
    at.last_byte = Clock::now();
    SseParser parser([&](SseEvent&& ev) {
      ScrubOut(scrub, redactor, &ev.data);
      ScrubOut(scrub, redactor, &ev.event);
      ScrubOut(scrub, redactor, &ev.id);
      if (!on_event(std::move(ev))) {
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
      at.sse = request.stream_events && on_event &&
               ct.rfind("text/event-stream", 0) == 0;
      return !control.cancelled();
    };
    hreq.content_receiver = [&](const char* data, std::size_t n, std::uint64_t,
                                std::uint64_t) {
      at.last_byte = Clock::now();
      if (control.cancelled()) return false;
      if (at.sse) return parser.Feed(std::string_view(data, n));
      if (at.response.body.size() + n > st.options.max_body_bytes) {
        at.too_big = true;
        return false;
      }
      at.response.body.append(data, n);
      return true;
    };

    // The key goes into the header last, straight from the LiveSecret.
    // httplib keeps header values as std::string (Request::headers), so the
    // value is built in a string with its final capacity (no reallocation
    // leaves a partial copy behind), moved into the map, and wiped with
    // SecureZero right after send(). Residual copies we cannot reach:
    // httplib serialises the request head into a temporary std::string that
    // it frees without wiping, and OpenSSL's write buffer holds the TLS
    // plaintext until reused (docs/requests.md, "Where the key exists").
    if (key) {
      // The binding check on the final target, right before the key is
      // written (docs/origins.md). `url` is where this very send goes:
      // redirects are never followed (set below), so no other origin can
      // receive this header.
      if (Status s = CheckKeyOrigin(grant->binding, *request.api_key_ref,
                                    request.provider, url);
          !s) {
        return Scrubbed(std::move(s).error(), scrub, redactor);
      }
      cli.set_follow_location(false);
      std::string_view k = key->value().Reveal();
      std::string value;
      value.reserve(auth.prefix.size() + k.size());
      value.append(auth.prefix).append(k);
      hreq.headers.emplace(std::string(auth.header), std::move(value));
    }

    httplib::Response hres;
    httplib::Error herr = httplib::Error::Success;
    control.Attach(&cli);
    bool ok = control.cancelled() ? false : cli.send(hreq, hres, herr);
    control.Detach();

    if (key) {
      for (auto& [name, value] : hreq.headers) {
        SecureZero(value.data(), value.size());
      }
    }

    if (control.cancelled()) return CancelError(control.reason());
    if (ok &&
        (at.got_headers || !proxy || !url.tls || request.method == "HEAD")) {
      // A whole response. (When an https request went through a proxy and
      // no origin response arrived, hres is the proxy's CONNECT answer.)
      if (!at.got_headers) {
        at.response.status = hres.status;
        for (const auto& [name, value] : hres.headers) {
          at.response.headers.emplace_back(Lower(name), value);
        }
        at.response.body = hres.body;
      }
      int status = at.response.status;
      if ((status == 429 || status == 503) && retries_left > 0) {
        --retries_left;
        std::string ra;
        for (const auto& [n, v] : at.response.headers) {
          if (n == "retry-after") ra = v;
        }
        std::chrono::milliseconds wait =
            ParseRetryAfter(ra).value_or(std::chrono::milliseconds(backoff_ms));
        backoff_ms = std::min(backoff_ms * 2, 30000);
        wait = std::min(wait, std::chrono::milliseconds(60000));
        st.pool.Release(std::move(c));
        if (!control.SleepFor(wait)) return CancelError(control.reason());
        continue;
      }
      st.pool.Release(std::move(c));
      for (auto& [name, value] : at.response.headers) {
        ScrubOut(scrub, redactor, &name);
        ScrubOut(scrub, redactor, &value);
      }
      ScrubOut(scrub, redactor, &at.response.body);
      return std::move(at.response);
    }
    if (ok) {
      return Scrubbed(
          Error(ErrorCode::kProxyFailed,
                "The proxy refused to open a tunnel (CONNECT answered " +
                    std::to_string(hres.status) + ").",
                "Check the proxy setting and its credentials."),
          scrub, redactor);
    }

    // No whole response. A kept-alive connection the server had closed
    // fails before any byte arrives: try once more on a new connection
    // (not another idle one, which may be just as stale).
    if (c.reused && !at.got_bytes && !stale_retry_used &&
        (herr == httplib::Error::Read || herr == httplib::Error::Write ||
         herr == httplib::Error::Connection)) {
      stale_retry_used = true;
      continue;
    }
    if (at.sink_stopped) return CancelError(CancelReason::kAborted);
    long verify =
        url.tls
            ? static_cast<httplib::SSLClient&>(cli).get_openssl_verify_result()
            : 0;
    Error e = http::DescribeSendFailure(herr, at, url, proxy.has_value(),
                                        verify, request.read_timeout,
                                        st.options.max_body_bytes);
    return Scrubbed(std::move(e), scrub, redactor);
  }
}

}  // namespace keyref
