// Logging glue: the host's options.log callback behind a thread-safe
// function. (The redaction probe, a test hook, is in test_hooks.cc.)
#include "sidecar_log.h"

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "errors.h"
#include "js_values.h"
#include "keyref/log.h"
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

}  // namespace keyref::addon
