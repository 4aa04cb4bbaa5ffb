// Logging glue: the host's options.log callback behind a thread-safe
// function, and NativeSidecar._redactionProbe (a test hook, see below).
#include "sidecar_log.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "errors.h"
#include "js_values.h"
#include "keyref/log.h"
#include "keyref/ref.h"
#include "sidecar.h"

namespace keyref::addon {
namespace {

// One line on its way to the JS thread.
struct LogItem {
  LogLevel level;
  std::string line;  // already redacted
};

// Owns the thread-safe function that calls options.log. The logger calls
// Post() from any thread, under its sink lock, so lines are queued in the
// order they were logged; NonBlockingCall never waits (the queue is
// unbounded) and the JS thread drains it in that order.
//
// Lifetime: the logger holds the bridge in a shared_ptr (its host sink); the
// bridge releases the function when dropped (close() or the instance's end).
// If the environment goes away first, the finalizer marks it dead and Post()
// stops; `mu` makes the two never cross.
class HostLogBridge {
 public:
  static std::shared_ptr<HostLogBridge> Make(Napi::Env env, Napi::Function fn) {
    auto bridge = std::make_shared<HostLogBridge>();
    std::weak_ptr<HostLogBridge> weak = bridge;
    bridge->tsfn_ = Napi::ThreadSafeFunction::New(
        env, fn, "keyref.log", 0, 1, [weak](Napi::Env) {
          if (auto b = weak.lock()) {
            std::lock_guard<std::mutex> lock(b->mu_);
            b->alive_ = false;
          }
        });
    // Logging alone must not keep the event loop (the process) alive.
    bridge->tsfn_.Unref(env);
    return bridge;
  }

  ~HostLogBridge() {
    std::lock_guard<std::mutex> lock(mu_);
    if (alive_) tsfn_.Release();
  }

  void Post(LogLevel level, const std::string& line) {
    auto item = std::make_unique<LogItem>(LogItem{level, line});
    std::lock_guard<std::mutex> lock(mu_);
    if (!alive_) return;
    napi_status st = tsfn_.NonBlockingCall(item.get(), &CallJs);
    if (st == napi_ok) item.release();  // CallJs owns it now
  }

 private:
  // On the JS thread. A throwing callback is caught here: it must never
  // become an uncaught exception that takes the extension host down.
  static void CallJs(Napi::Env env, Napi::Function fn, LogItem* raw) {
    std::unique_ptr<LogItem> item(raw);
    if (env == nullptr || fn.IsEmpty()) return;  // environment shutting down
    try {
      fn.Call({Napi::String::New(env, LogLevelName(item->level)),
               Napi::String::New(env, item->line)});
    } catch (const Napi::Error&) {
      // Swallowed (and cleared) on purpose: see above.
    }
  }

  std::mutex mu_;
  bool alive_ = true;
  Napi::ThreadSafeFunction tsfn_;
};

// A SecretValue holding several pieces, one of which is a secret: the probe
// builds its deliberately leaky lines in locked, wiped memory.
SecretValue Join(std::initializer_list<std::string_view> parts) {
  SecretValue out;
  for (std::string_view p : parts) out.Append(p.data(), p.size());
  return out;
}

// base64 (url: base64url, unpadded) of `in`, by OpenSSL's EVP_EncodeBlock.
// It writes only into the buffer it is given, so each 48-byte block is
// encoded into a stack buffer that is appended to the SecretValue and wiped.
// 48 is a multiple of 3: only the last block can carry padding.
SecretValue Base64(std::string_view in, bool url) {
  SecretValue out;
  unsigned char buf[65];
  for (std::size_t i = 0; i < in.size(); i += 48) {
    int n = static_cast<int>(std::min<std::size_t>(48, in.size() - i));
    int len = EVP_EncodeBlock(
        buf, reinterpret_cast<const unsigned char*>(in.data() + i), n);
    if (url) {
      for (int k = 0; k < len; ++k) {
        if (buf[k] == '+') buf[k] = '-';
        if (buf[k] == '/') buf[k] = '_';
      }
      while (len > 0 && buf[len - 1] == '=') --len;
    }
    out.Append(reinterpret_cast<const char*>(buf),
               static_cast<std::size_t>(len));
  }
  SecureZero(buf, sizeof buf);
  return out;
}

// _redactionProbe(ref): resolves `ref` on a worker thread and then behaves
// like the worst call sites could: logs the value, its encodings and pieces
// of it at every level and through LogRequest (headers and bodies), and
// fails with an error whose message and hint echo it, like a provider's 401
// text. Everything that comes out (host log lines, the file, stderr, the
// rejection) must be scrubbed. Test hook for test/node/redaction.test.js; not
// part of the public Sidecar class, and refused unless KEYREF_TEST_HOOKS=1.
class ProbeWorker : public Napi::AsyncWorker {
 public:
  ProbeWorker(Napi::Env env, std::shared_ptr<Instance> instance, ParsedRef ref)
      : Napi::AsyncWorker(env, "keyref.redactionProbe"),
        deferred_(Napi::Promise::Deferred::New(env)),
        instance_(std::move(instance)),
        ref_(std::move(ref)) {}
  ~ProbeWorker() override { WipeError(); }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    Logger& log = instance_->logger();
    std::string scheme = SchemeName(ref_.scheme);
    log.Log(LogLevel::kTrace,
            "probe: resolving ref=" + ref_.ref + " scheme=" + scheme);
    Result<LiveSecret> r = instance_->Resolve(ref_);
    if (!r) {
      error_ = std::move(r).error();
      failed_ = true;
      log.Log(LogLevel::kWarn, "probe: " + error_.message);
      return;
    }
    // From here to the end of the scope the value exists (LiveSecret).
    const LiveSecret& live = r.value();
    std::string_view v = live.value().Reveal();
    SecretValue b64 = Base64(v, false);
    SecretValue b64url = Base64(v, true);
    SecretValue basic = Join({"user:", v});
    SecretValue basic64 = Base64(basic.Reveal(), false);
    const LogLevel levels[] = {LogLevel::kTrace, LogLevel::kDebug,
                               LogLevel::kInfo, LogLevel::kWarn,
                               LogLevel::kError};
    for (LogLevel level : levels) {
      log.Log(level, Join({"provider echoed ", v, " as ", b64.Reveal(), " / ",
                           b64url.Reveal()})
                         .Reveal());
    }
    for (std::size_t at = 0; at + 8 <= v.size(); at += 5) {
      log.Log(LogLevel::kInfo,
              Join({"piece:", v.substr(at, 8), ":end"}).Reveal());
    }
    log.Log(LogLevel::kDebug,
            Join({"Authorization: Basic ", basic64.Reveal()}).Reveal());

    SecretValue bearer = Join({"Bearer ", v});
    SecretValue body =
        Join({"{\"error\":{\"message\":\"Incorrect API key "
              "provided: ",
              v, "\"}}"});
    // The header list is std::string by RequestLog's contract; these copies
    // are wiped below.
    RequestLog::Headers headers = {
        {"authorization", std::string(bearer.Reveal())},
        {"x-api-key", std::string(v)},
        {"content-type", "application/json"}};
    RequestLog req;
    req.method = "POST";
    req.origin = "https://provider.invalid";
    req.path = "/v1/chat/completions";
    req.ref = ref_.ref;
    req.scheme = scheme;
    req.status = 401;
    req.total_ms = 1.0;
    req.request_headers = &headers;
    req.response_headers = &headers;
    req.request_body = body.Reveal();
    req.response_body = body.Reveal();
    log.LogRequest(req);
    for (auto& [name, value] : headers) SecureZero(value.data(), value.size());
    log.Flush();

    error_ = Error(
        ErrorCode::kSourceDenied,
        std::string(Join({"Provider said: Incorrect API key ", v}).Reveal()),
        std::string(
            Join({"Check the key ", v.substr(0, 8), " in your settings."})
                .Reveal()));
    failed_ = true;
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (failed_) {
      deferred_.Reject(MakeError(env, error_, &instance_->redactor()).Value());
      WipeError();
    } else {
      deferred_.Resolve(env.Undefined());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  void WipeError() {
    SecureZero(error_.message.data(), error_.message.size());
    SecureZero(error_.hint.data(), error_.hint.size());
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Instance> instance_;
  ParsedRef ref_;
  Error error_;
  bool failed_ = false;
};

}  // namespace

void ConfigureLogging(Napi::Env env, Instance& instance,
                      const Napi::Object& options) {
  Logger& log = instance.logger();
  LogLevel level = LogLevel::kInfo;
  LogLevelFromName(StringProp(options, "logLevel"), &level);
  log.SetLevel(level);
  Napi::Value fn = options.Get("log");
  if (fn.IsFunction()) {
    auto bridge = HostLogBridge::Make(env, fn.As<Napi::Function>());
    log.SetHostSink([bridge](LogLevel l, const std::string& line) {
      bridge->Post(l, line);
    });
  }
  Napi::Value err = options.Get("logStderr");
  log.EnableStderr(err.IsBoolean() && err.As<Napi::Boolean>().Value());
  std::string path = StringProp(options, "logFilePath");
  if (!path.empty()) {
    Status st = log.EnableFile(
        path,
        static_cast<std::size_t>(
            NumberProp(options, "logFileMaxBytes", 5 * 1024 * 1024)),
        static_cast<std::size_t>(NumberProp(options, "logFileMaxFiles", 3)));
    if (!st) throw MakeError(env, st.error(), &instance.redactor());
  }
}

Napi::Value Sidecar::RedactionProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Only in tests and benchmarks: in production nothing should be able to
  // make keyref log a value on purpose, scrubbed or not.
  const char* hooks = std::getenv("KEYREF_TEST_HOOKS");
  if (!hooks || std::string_view(hooks) != "1") {
    throw MakeError(
        env, Error(ErrorCode::kInternal, "_redactionProbe is a test hook.",
                   "Set KEYREF_TEST_HOOKS=1 to use it in tests."));
  }
  if (info.Length() < 1 || !info[0].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "_redactionProbe(ref: string)");
  }
  Result<ParsedRef> ref = ParseRef(info[0].As<Napi::String>().Utf8Value(),
                                   instance_->policy().allow);
  if (!ref) throw MakeError(env, ref.error(), &instance_->redactor());
  auto* worker = new ProbeWorker(env, instance_, std::move(ref).value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself when done
  return promise;
}

}  // namespace keyref::addon
