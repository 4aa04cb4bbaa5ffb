// The test hooks (see test_hooks.h). Compiled twice: into keyref.node
// without KEYREF_TEST_HOOKS (nothing but the two stubs at the end), and into
// keyref_test_hooks.node with it.
#include "test_hooks.h"

#ifdef KEYREF_TEST_HOOKS

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "addon_data.h"
#include "errors.h"
#include "keyref/credential_shape.h"
#include "keyref/key_scrubber.h"
#include "keyref/log.h"
#include "keyref/ref.h"
#include "sidecar.h"
#include "work_pool.h"

namespace keyref::addon {
namespace {

// A SecretValue holding several pieces, one of which is a secret: the probe
// builds its deliberately leaky lines in locked, wiped memory.
SecretValue Join(std::initializer_list<std::string_view> parts) {
  SecretValue out;
  for (std::string_view p : parts) out.Append(p.data(), p.size());
  return out;
}

SecretValue Base64(std::string_view in, bool url) {
  const char* abc =
      url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  SecretValue out;
  char quad[4];
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::size_t n = std::min<std::size_t>(3, in.size() - i);
    std::uint32_t v = static_cast<std::uint8_t>(in[i]) << 16;
    if (n > 1) v |= static_cast<std::uint8_t>(in[i + 1]) << 8;
    if (n > 2) v |= static_cast<std::uint8_t>(in[i + 2]);
    quad[0] = abc[v >> 18];
    quad[1] = abc[(v >> 12) & 63];
    quad[2] = n > 1 ? abc[(v >> 6) & 63] : '=';
    quad[3] = n > 2 ? abc[v & 63] : '=';
    std::size_t keep = url ? n + 1 : 4;
    out.Append(quad, keep);
  }
  SecureZero(quad, sizeof quad);
  return out;
}

// What the probe hands back to the JS thread: the error it fails with,
// which echoes the value on purpose and is wiped once the rejection is made.
struct ProbeOutcome {
  Error error;
  ~ProbeOutcome() {
    SecureZero(error.message.data(), error.message.size());
    SecureZero(error.hint.data(), error.hint.size());
  }
};

// Runs on a WorkPool thread: resolves `ref` and then behaves like the worst
// call sites could: logs the value, its encodings and pieces of it at every
// level and through LogRequest (headers and bodies), and fails with an error
// whose message and hint echo it, like a provider's 401 text. Everything
// that comes out (host log lines, the file, stderr, the rejection) must be
// scrubbed.
void RunProbe(Instance& inst, const ParsedRef& ref, ProbeOutcome* out) {
  Logger& log = inst.logger();
  std::string scheme = SchemeName(ref.scheme);
  log.Log(LogLevel::kTrace,
          "probe: resolving ref=" + ref.ref + " scheme=" + scheme);
  Result<LiveSecret> r = inst.Resolve(ref);
  if (!r) {
    out->error = std::move(r).error();
    log.Log(LogLevel::kWarn, "probe: " + out->error.message);
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
  req.ref = ref.ref;
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

  out->error = Error(
      ErrorCode::kSourceDenied,
      std::string(Join({"Provider said: Incorrect API key ", v}).Reveal()),
      std::string(Join({"Check the key ", v.substr(0, 8), " in your settings."})
                      .Reveal()));
}

// _redactionProbe(ref): Promise<never>. Test hook for
// test/node/redaction.test.js and log_options.test.js.
Napi::Value RedactionProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Sidecar* sidecar = Sidecar::FromJs(env, info.This());
  if (info.Length() < 1 || !info[0].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "_redactionProbe(ref: string)");
  }
  std::shared_ptr<Instance> inst = sidecar->instance();
  Result<ParsedRef> parsed =
      ParseRef(info[0].As<Napi::String>().Utf8Value(), inst->policy().allow);
  if (!parsed) throw MakeError(env, parsed.error(), &inst->redactor());
  auto ref = std::make_shared<ParsedRef>(std::move(parsed).value());
  napi_deferred d;
  napi_value promise = NewPromise(env, &d);
  GetPool(env).Submit(
      env,
      [inst, ref, d]() -> WorkPool::Done {
        auto out = std::make_shared<ProbeOutcome>();
        RunProbe(*inst, *ref, out.get());
        return [inst, d, out](napi_env env) {
          SettleDeferred(env, d, false,
                         ErrorValue(env, out->error, &inst->redactor()));
        };
      },
      [inst, d](napi_env env) {
        SettleDeferred(env, d, false,
                       ErrorValue(env, Error(ErrorCode::kInternal,
                                             "keyref failed internally.")));
      });
  return Napi::Value(env, promise);
}

// _redactStats(): { scratchBytes, pooled, pooledBytes, reused }. Test hook
// for test/node/redact_boundary.test.js: this environment's redact() input
// buffer and its pool of large-result memory.
Napi::Value RedactStatsHook(const Napi::CallbackInfo& info) {
  const RedactStats stats = GetRedactStats(info.Env());
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("scratchBytes", static_cast<double>(stats.scratch_bytes));
  out.Set("pooled", static_cast<double>(stats.pooled));
  out.Set("pooledBytes", static_cast<double>(stats.pooled_bytes));
  out.Set("reused", static_cast<double>(stats.reused));
  return out;
}

// _keyScrubberCache(): { size, hits }. Test hook for
// test/node/key_scrubber_cache.test.js: the instance's cache of key
// scrubbers (KeyScrubberCache, keyref/key_scrubber.h), how many entries it
// holds and how many lookups found one. Counts only, no byte of a key; the
// hit count would still confirm a whole guessed value sent behind a ref
// (docs/threat-model.md, "Test hooks"), so it stays in the test build.
Napi::Value KeyScrubberCacheHook(const Napi::CallbackInfo& info) {
  Sidecar* sidecar = Sidecar::FromJs(info.Env(), info.This());
  const KeyScrubberCache& cache =
      sidecar->instance()->http().KeyScrubbersForTesting();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("size", static_cast<double>(cache.size()));
  out.Set("hits", static_cast<double>(cache.hits()));
  return out;
}

// _shapeScanPath(): the credential-shape scan's block classifier on this
// CPU ("avx512bw", "avx2", "sse2" or "scalar"), which bench/node/
// redact_bench.js prints with its figures.
Napi::Value ShapeScanPathHook(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ShapeScanPathName());
}

}  // namespace

bool HasTestHooks() { return true; }

void InstallTestHooks(Napi::Env env, Napi::Function sidecar_ctor) {
  sidecar_ctor.Get("prototype")
      .As<Napi::Object>()
      .Set("_redactionProbe",
           Napi::Function::New(env, RedactionProbe, "_redactionProbe"));
  sidecar_ctor.Get("prototype")
      .As<Napi::Object>()
      .Set("_redactStats",
           Napi::Function::New(env, RedactStatsHook, "_redactStats"));
  sidecar_ctor.Get("prototype")
      .As<Napi::Object>()
      .Set("_keyScrubberCache",
           Napi::Function::New(env, KeyScrubberCacheHook, "_keyScrubberCache"));
  sidecar_ctor.Get("prototype")
      .As<Napi::Object>()
      .Set("_shapeScanPath",
           Napi::Function::New(env, ShapeScanPathHook, "_shapeScanPath"));
}

}  // namespace keyref::addon

#else  // the shipped addon: no hooks

namespace keyref::addon {

bool HasTestHooks() { return false; }

void InstallTestHooks(Napi::Env, Napi::Function) {}

}  // namespace keyref::addon

#endif
