// sidecar.request(): glue between addon/ts/request.ts and keyref::HttpClient.
// The request runs on the instance's own worker threads; events and the
// final result come back to the JS thread through one ThreadSafeFunction per
// request, in order, queued without blocking the native reader.
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"
#include "js_values.h"
#include "keyref/base_url.h"
#include "keyref/http_client.h"
#include "keyref/log.h"
#include "keyref/sse_batch.h"
#include "sidecar.h"

namespace keyref::addon {

// Per request, on the JS thread only: the callbacks. Deleted on the JS
// thread when the result has been delivered.
struct JsSide {
  Napi::FunctionReference on_event;
  Napi::FunctionReference on_done;
};

namespace {

// Events waiting for the JS thread, packed (keyref/sse_batch.h) in batches
// of about kBatchBytes each. The reader appends and queues one delivery only
// when none is pending, so a burst of events costs one thread-safe call; each
// batch then costs one JS call, with one string and one Uint32Array (onEvent
// then runs once per event).
struct EventBatch {
  std::mutex mu;
  std::condition_variable drained;
  std::vector<SseBatch> pending;
  std::size_t pending_bytes = 0;
  bool scheduled = false;
  // A delivered batch, emptied, for the reader to fill again (its buffers
  // keep their capacity, so a steady stream allocates nothing per batch).
  SseBatch spare;
};

// How far the JS thread may fall behind before the reader waits for it:
// memory stays bounded (about twice this, counting the batch JS is working
// through) even when onEvent blocks for a long time. Below it the reader
// never waits.
constexpr std::size_t kMaxPendingEventBytes = 64u << 20;
// Where the reader starts a new batch. Small enough that V8 makes a batch's
// string in its young generation (a string past ~128 KiB goes to fresh
// pages of large-object space, and faulting them in cost more than the
// events), and that an event the caller keeps alive (its slices share the
// batch's string) keeps little else alive with it.
constexpr std::size_t kBatchBytes = 32u << 10;

// One queued delivery to JS: the pending events, or the final result.
struct Item {
  JsSide* js = nullptr;
  std::shared_ptr<EventBatch> batch;
  std::optional<Result<HttpResponse>> result;
  // Set on the final item: keeps the channel alive until the JS thread has
  // updated its in-flight count.
  std::shared_ptr<RequestChannel> channel;
};

// Runs on the JS thread for every queued item, in queue order.
void Deliver(Napi::Env env, Napi::Function, std::nullptr_t*, Item* item);
using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Item, Deliver>;

}  // namespace

// Guards calls into the channel's ThreadSafeFunction. When the environment
// shuts down, Node finalizes (and frees) the ThreadSafeFunction itself even
// while workers still hold it; its finalizer closes the gate under the lock,
// so no call is in progress then and none starts afterwards.
struct ChannelGate {
  std::mutex mu;
  bool open = true;
};

// One ThreadSafeFunction per Sidecar carries every request's events and
// results back to the JS thread (making one per request costs more than a
// small request itself). It keeps the event loop alive only while requests
// are in flight.
struct RequestChannel {
  Tsfn tsfn;
  std::shared_ptr<ChannelGate> gate = std::make_shared<ChannelGate>();
  std::size_t in_flight = 0;  // JS thread only
  ~RequestChannel() {
    // Running jobs hold their own Acquire()d share; the TSFN goes away when
    // the last of them releases it.
    std::lock_guard<std::mutex> lock(gate->mu);
    if (gate->open) tsfn.Release();
  }
};

namespace {

// Shared by the worker running the request and the JS abort handle.
struct Job {
  std::shared_ptr<Instance> instance;
  std::shared_ptr<RequestChannel> channel;  // released on the JS thread
  HttpRequest request;
  RequestControl control;
  Tsfn tsfn;  // a copy of channel->tsfn, Acquire()d
  std::shared_ptr<ChannelGate> gate;
  JsSide* js = nullptr;
};

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

// Hands one batch to onEvent as (text, ends): one string of every field
// and a Uint32Array of where each ends, three per event (data, event, id;
// keyref/sse_batch.h). The TS layer slices them out and calls the user's
// onEvent once per event, in order.
void CallWithBatch(Napi::Env env, JsSide* js, const SseBatch& b) {
  Napi::HandleScope scope(env);
  std::string_view text = b.text();
  Napi::String str = Napi::String::New(env, text.data(), text.size());
  const std::vector<std::uint32_t>& ends = b.ends();
  Napi::Uint32Array arr = Napi::Uint32Array::New(env, ends.size());
  std::memcpy(arr.Data(), ends.data(), ends.size() * sizeof(std::uint32_t));
  // The TS wrapper catches what onEvent throws; nothing escapes to here.
  js->on_event.Call({str, arr});
}

void DrainEvents(Napi::Env env, JsSide* js, EventBatch* batch) {
  std::vector<SseBatch> batches;
  {
    std::lock_guard<std::mutex> lock(batch->mu);
    batches.swap(batch->pending);
    batch->pending_bytes = 0;
    batch->scheduled = false;
  }
  batch->drained.notify_all();
  if (!js->on_event.IsEmpty()) {
    for (const SseBatch& b : batches) {
      if (!b.empty()) CallWithBatch(env, js, b);
    }
  }
  if (batches.empty()) return;
  batches.front().Clear();
  std::lock_guard<std::mutex> lock(batch->mu);
  batch->spare = std::move(batches.front());
}

void Deliver(Napi::Env env, Napi::Function, std::nullptr_t*, Item* item) {
  std::unique_ptr<Item> owned(item);
  if (env == nullptr) return;  // the environment is shutting down
  JsSide* js = item->js;
  DrainEvents(env, js, item->batch.get());
  if (!item->result) return;
  std::unique_ptr<JsSide> js_owned(js);
  if (item->channel && --item->channel->in_flight == 0) {
    item->channel->tsfn.Unref(env);
  }
  Result<HttpResponse>& r = *item->result;
  if (!r.ok()) {
    js->on_done.Call({MakeError(env, r.error()).Value()});
    return;
  }
  HttpResponse& res = r.value();
  Napi::Array headers = Napi::Array::New(env, res.headers.size() * 2);
  uint32_t i = 0;
  for (const auto& [name, value] : res.headers) {
    headers.Set(i++, Napi::String::New(env, name));
    headers.Set(i++, Napi::String::New(env, value));
  }
  js->on_done.Call({env.Null(), Napi::Number::New(env, res.status), headers,
                    Napi::String::New(env, res.body)});
}

// Queues an item for the JS thread. Non-blocking: the queue is unbounded,
// so a slow JS callback never stalls the native reader. Fails only while the
// environment shuts down.
bool Post(Tsfn& tsfn, ChannelGate& gate, Item* item) {
  std::lock_guard<std::mutex> lock(gate.mu);
  if (gate.open && tsfn.NonBlockingCall(item) == napi_ok) return true;
  delete item;
  return false;
}

// Describes the request at trace level: method, origin and path, the ref
// and its scheme, status or error code, time and bytes. Header values and
// bodies only with policy.logBodies, and the logger scrubs every line.
void LogOutcome(Instance& instance, const HttpRequest& request,
                const Result<HttpResponse>& result,
                std::chrono::steady_clock::time_point started) {
  Logger& log = instance.logger();
  if (!log.Enabled(LogLevel::kTrace)) return;
  RequestLog entry;
  entry.method = request.method;
  std::string origin;
  std::string path;
  if (Result<BaseUrl> url = ParseBaseUrl(request.base_url); url.ok()) {
    origin = url.value().Origin();
    path = url.value().path;
  }
  path += request.path;
  entry.origin = origin;
  entry.path = path;
  if (request.api_key_ref) {
    entry.ref = request.api_key_ref->ref;
    entry.scheme = SchemeName(request.api_key_ref->scheme);
  }
  entry.total_ms = std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - started)
                       .count();
  entry.bytes_sent = request.body.size();
  entry.request_headers = &request.headers;
  entry.request_body = request.body;
  if (result.ok()) {
    entry.status = result.value().status;
    entry.bytes_received = result.value().body.size();
    entry.response_headers = &result.value().headers;
    entry.response_body = result.value().body;
  } else {
    entry.error_code = ErrorCodeName(result.error().code);
  }
  log.LogRequest(entry);
}

// Moves the events of one read into the batch JS will take next, and queues
// a delivery when none is pending. First waits while the JS thread is more
// than kMaxPendingEventBytes behind; returns false when the request was
// cancelled or the environment is going away meanwhile. `last`: the events
// left when the request is over, which the result's own delivery (queued
// next) takes, so no wait and no delivery of their own.
bool HandOver(SseBatch* read, const std::shared_ptr<EventBatch>& shared,
              Tsfn& tsfn, ChannelGate& gate, JsSide* js,
              RequestControl& control, bool last) {
  EventBatch& batch = *shared;
  if (read->empty()) return true;
  {
    std::unique_lock<std::mutex> lock(batch.mu);
    while (!last && batch.pending_bytes > kMaxPendingEventBytes) {
      if (control.cancelled()) return false;
      {
        std::lock_guard<std::mutex> g(gate.mu);
        if (!gate.open) return false;
      }
      batch.drained.wait_for(lock, std::chrono::milliseconds(20));
    }
    std::vector<SseBatch>& pending = batch.pending;
    if (pending.empty() || pending.back().text().size() >= kBatchBytes) {
      pending.push_back(std::move(batch.spare));
      batch.spare = SseBatch();
    }
    // The bound counts the events' text (their offsets, 12 bytes per
    // event, come on top).
    batch.pending_bytes += read->text().size();
    pending.back().Append(*read);
    read->Clear();
    if (batch.scheduled || last) return true;
    batch.scheduled = true;
  }
  return Post(tsfn, gate, new Item{js, shared, std::nullopt, nullptr});
}

void RunJob(const std::shared_ptr<Job>& job) {
  Instance& instance = *job->instance;
  Tsfn tsfn = job->tsfn;
  std::shared_ptr<ChannelGate> gate = job->gate;
  JsSide* js = job->js;
  auto batch = std::make_shared<EventBatch>();
  RequestControl& control = job->control;
  // The events of the current read from the socket, gathered without a
  // lock and handed over once per read (EventSink::on_read).
  SseBatch read;
  EventSink sink = [&read](SseEvent&& ev) {
    read.Append(ev);
    return true;
  };
  sink.on_read = [&] {
    return HandOver(&read, batch, tsfn, *gate, js, control, false);
  };
  const auto started = std::chrono::steady_clock::now();
  // Send: the origin check, resolution and the audit record (instance.h).
  Result<HttpResponse> result = instance.Send(job->request, job->control, sink);
  LogOutcome(instance, job->request, result, started);
  if (!result.ok()) {
    // The builder scrubs its errors of the key; this is the one path every
    // error to JS takes, so the instance's redactor sees it too.
    const Error& e = result.error();
    result = Error(e.code, instance.redactor().Redact(e.message),
                   instance.redactor().Redact(e.hint));
  }
  // Events parsed before the stream failed go out ahead of the error.
  HandOver(&read, batch, tsfn, *gate, js, control, true);
  Post(tsfn, *gate,
       new Item{js, batch, std::move(result), std::move(job->channel)});
  std::lock_guard<std::mutex> lock(gate->mu);
  if (gate->open) tsfn.Release();
}

void CloseGate(Napi::Env, std::shared_ptr<ChannelGate>* gate, std::nullptr_t*) {
  {
    std::lock_guard<std::mutex> lock((*gate)->mu);
    (*gate)->open = false;
  }
  delete gate;
}

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
  if (!ProviderFromName(StringProp(o, "provider"), &r.provider)) {
    throw MakeArgError(env, true, "ERR_INVALID_ARG_VALUE", "unknown provider");
  }
  r.base_url = StringProp(o, "baseUrl");
  Napi::Value ref = o.Get("apiKeyRef");
  if (ref.IsString()) {
    // The ref, never a key: ParseRef refuses anything shaped like one.
    Result<ParsedRef> parsed =
        ParseRef(ref.As<Napi::String>().Utf8Value(), instance_->policy().allow);
    if (!parsed) throw MakeError(env, parsed.error());
    r.api_key_ref = std::move(parsed).value();
  }
  r.method = StringProp(o, "method");
  r.path = StringProp(o, "path");
  r.headers = Pairs(o, "headers");
  r.query = Pairs(o, "query");
  r.body = StringProp(o, "body");
  r.content_type = StringProp(o, "contentType");
  // Options left out keep HttpRequest's defaults (http_client.h): the one
  // place they are set.
  r.timeout = MillisProp(o, "timeoutMs", r.timeout);
  r.connect_timeout = MillisProp(o, "connectTimeoutMs", r.connect_timeout);
  r.read_timeout = MillisProp(o, "readTimeoutMs", r.read_timeout);
  if (o.Get("proxy").IsString())
    r.proxy.explicit_proxy = StringProp(o, "proxy");
  r.proxy.disabled = o.Get("proxyDisabled").ToBoolean();
  r.proxy.env_https = StringProp(o, "envHttpsProxy");
  r.proxy.env_http = StringProp(o, "envHttpProxy");
  r.proxy.env_no_proxy = StringProp(o, "envNoProxy");
  // Extra CAs are the instance's policy (policy.caFile / policy.ca), never
  // the request's: a caller that could add one and name the proxy would
  // read the key through a tunnel it terminates.
  r.ca_file = instance_->policy().ca_file;
  r.ca_pem = instance_->policy().ca_pem;
  r.retries = static_cast<int>(NumberProp(o, "retries", r.retries));
  r.referer = StringProp(o, "referer");
  r.title = StringProp(o, "title");
  r.api_version = StringProp(o, "apiVersion");
  r.stream_events = info[1].IsFunction();

  if (!requests_) {
    requests_ = std::make_shared<RequestChannel>();
    requests_->tsfn = Tsfn::New(
        env, "keyref.request", 0, 1, static_cast<std::nullptr_t*>(nullptr),
        CloseGate, new std::shared_ptr<ChannelGate>(requests_->gate));
    requests_->tsfn.Unref(env);
  }
  auto* js = new JsSide();
  if (info[1].IsFunction()) {
    js->on_event = Napi::Persistent(info[1].As<Napi::Function>());
  }
  js->on_done = Napi::Persistent(info[2].As<Napi::Function>());
  job->js = js;
  job->channel = requests_;
  job->tsfn = requests_->tsfn;
  job->gate = requests_->gate;
  job->tsfn.Acquire();
  if (requests_->in_flight++ == 0) requests_->tsfn.Ref(env);

  instance_->http().Submit([job] { RunJob(job); });

  return Napi::External<JobHandle>::New(
      env, new JobHandle(job), [](Napi::Env, JobHandle* h) { delete h; });
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
