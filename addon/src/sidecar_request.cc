// sidecar.request(): glue between addon/ts/request.ts and keyref::HttpClient.
// The request runs on the instance's own worker threads; events and the
// final result come back to the JS thread through one ThreadSafeFunction per
// request, in order, queued without blocking the native reader.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "errors.h"
#include "keyref/http_client.h"
#include "sidecar.h"

namespace keyref::addon {
namespace {

// Lives on the JS thread only: created in Request(), deleted by the
// ThreadSafeFunction's finalizer (which runs on the JS thread after the
// last call).
struct JsSide {
  Napi::FunctionReference on_event;
};

// Shared by the worker running the request and the JS abort handle.
struct Job {
  std::shared_ptr<Instance> instance;
  HttpRequest request;
  RequestControl control;
  Napi::ThreadSafeFunction tsfn;
  JsSide* js = nullptr;
};

// One queued delivery to JS: an event, or the final result.
struct Item {
  SseEvent event;
  std::optional<Result<HttpResponse>> result;
};

std::string Str(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

double Num(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

std::vector<std::pair<std::string, std::string>> Pairs(const Napi::Object& o,
                                                       const char* key) {
  std::vector<std::pair<std::string, std::string>> out;
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i + 1 < a.Length(); i += 2) {
    out.emplace_back(a.Get(i).As<Napi::String>().Utf8Value(),
                     a.Get(i + 1).As<Napi::String>().Utf8Value());
  }
  return out;
}

void DeliverEvent(Napi::Env env, Napi::Function, JsSide* js, Item* item) {
  std::unique_ptr<Item> owned(item);
  if (env == nullptr || js->on_event.IsEmpty()) return;
  // The TS wrapper catches what onEvent throws; nothing escapes to here.
  js->on_event.Call({Napi::String::New(env, item->event.data),
                     Napi::String::New(env, item->event.event),
                     Napi::String::New(env, item->event.id)});
}

void DeliverResult(Napi::Env env, Napi::Function on_done, Item* item) {
  std::unique_ptr<Item> owned(item);
  if (env == nullptr) return;
  Result<HttpResponse>& r = *item->result;
  if (!r.ok()) {
    on_done.Call({MakeError(env, r.error()).Value()});
    return;
  }
  HttpResponse& res = r.value();
  Napi::Array headers = Napi::Array::New(env, res.headers.size() * 2);
  uint32_t i = 0;
  for (const auto& [name, value] : res.headers) {
    headers.Set(i++, Napi::String::New(env, name));
    headers.Set(i++, Napi::String::New(env, value));
  }
  on_done.Call({env.Null(), Napi::Number::New(env, res.status), headers,
                Napi::String::New(env, res.body)});
}

void RunJob(const std::shared_ptr<Job>& job) {
  Instance& instance = *job->instance;
  Napi::ThreadSafeFunction tsfn = job->tsfn;
  JsSide* js = job->js;
  EventSink sink = [tsfn, js](SseEvent&& ev) mutable {
    auto* item = new Item{std::move(ev), std::nullopt};
    // Non-blocking: the queue is unbounded, so a slow JS callback never
    // stalls this reader. It fails only while the environment shuts down.
    napi_status s = tsfn.NonBlockingCall(
        item, [js](Napi::Env env, Napi::Function f, Item* it) {
          DeliverEvent(env, f, js, it);
        });
    if (s != napi_ok) {
      delete item;
      return false;
    }
    return true;
  };
  Result<HttpResponse> result = instance.http().Execute(
      job->request,
      [&instance](const ParsedRef& ref) { return instance.Resolve(ref); },
      job->control, sink);
  auto* item = new Item{SseEvent{}, std::move(result)};
  if (tsfn.NonBlockingCall(item, DeliverResult) != napi_ok) delete item;
  tsfn.Release();
}

void FinalizeJs(Napi::Env, void*, JsSide* js) { delete js; }

using JobHandle = std::shared_ptr<Job>;

}  // namespace

// request(options, onEvent | null, onDone) -> handle for abortRequest.
// `options` is the normalised object built by addon/ts/request.ts.
Napi::Value Sidecar::Request(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsObject() || !info[2].IsFunction() ||
      !(info[1].IsFunction() || info[1].IsNull())) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "request(options, onEvent, onDone)");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  auto job = std::make_shared<Job>();
  job->instance = instance_;
  HttpRequest& r = job->request;
  if (!ProviderFromName(Str(o, "provider"), &r.provider)) {
    throw MakeArgError(env, true, "ERR_INVALID_ARG_VALUE", "unknown provider");
  }
  r.base_url = Str(o, "baseUrl");
  Napi::Value ref = o.Get("apiKeyRef");
  if (ref.IsString()) {
    // The ref, never a key: ParseRef refuses anything shaped like one.
    Result<ParsedRef> parsed =
        ParseRef(ref.As<Napi::String>().Utf8Value(), instance_->policy().allow);
    if (!parsed) throw MakeError(env, parsed.error());
    r.api_key_ref = std::move(parsed).value();
  }
  r.method = Str(o, "method");
  r.path = Str(o, "path");
  r.headers = Pairs(o, "headers");
  r.query = Pairs(o, "query");
  r.body = Str(o, "body");
  r.content_type = Str(o, "contentType");
  r.timeout = std::chrono::milliseconds(
      static_cast<long long>(Num(o, "timeoutMs", 600000)));
  r.connect_timeout = std::chrono::milliseconds(
      static_cast<long long>(Num(o, "connectTimeoutMs", 10000)));
  r.read_timeout = std::chrono::milliseconds(
      static_cast<long long>(Num(o, "readTimeoutMs", 120000)));
  if (o.Get("proxy").IsString()) r.proxy.explicit_proxy = Str(o, "proxy");
  r.proxy.disabled = o.Get("proxyDisabled").ToBoolean();
  r.proxy.env_https = Str(o, "envHttpsProxy");
  r.proxy.env_http = Str(o, "envHttpProxy");
  r.proxy.env_no_proxy = Str(o, "envNoProxy");
  r.ca_file = Str(o, "caFile");
  r.ca_pem = Str(o, "ca");
  r.retries = static_cast<int>(Num(o, "retries", 0));
  r.referer = Str(o, "referer");
  r.title = Str(o, "title");
  r.api_version = Str(o, "apiVersion");
  r.stream_events = info[1].IsFunction();

  auto* js = new JsSide();
  if (info[1].IsFunction()) {
    js->on_event = Napi::Persistent(info[1].As<Napi::Function>());
  }
  job->js = js;
  job->tsfn = Napi::ThreadSafeFunction::New(
      env, info[2].As<Napi::Function>(), "keyref.request", 0, 1, js,
      FinalizeJs, static_cast<void*>(nullptr));

  instance_->http().Submit([job] { RunJob(job); });

  return Napi::External<JobHandle>::New(
      env, new JobHandle(job),
      [](Napi::Env, JobHandle* h) { delete h; });
}

// abortRequest(handle): stops the request now. The TS layer has already
// rejected the promise with REQUEST_ABORTED; this closes the connection.
Napi::Value Sidecar::AbortRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "abortRequest(handle)");
  }
  JobHandle* h = info[0].As<Napi::External<JobHandle>>().Data();
  if (h && *h) (*h)->control.Cancel(CancelReason::kAborted);
  return env.Undefined();
}

}  // namespace keyref::addon
