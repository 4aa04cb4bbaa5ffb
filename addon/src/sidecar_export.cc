// Sidecar methods of the profile export. The secret-free export is written
// by addon/ts/profiles.ts; only the export WITH secrets is here, so that
// resolved values never return to JavaScript.
//
// THE SECRET EXPORT GATE, native half (the TS half is in profiles.ts). Native
// code refuses unless policy.allowSecretExport is true AND the confirm
// callback, called from here, answers the literal `true` (or a promise of
// it): a caller that reaches the raw binding without the TS layer cannot
// skip or answer the confirmation for the user. What it cannot stop (JS in
// the process that supplies its own callback): docs/threat-model.md, "Export
// gate, log file, test hooks". Do not loosen without a maintainer's
// approval.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "addon_data.h"
#include "errors.h"
#include "keyref/profile_export.h"
#include "sidecar.h"
#include "work_pool.h"

namespace keyref::addon {
namespace {

// One export waiting for its confirmation, then for the pool.
struct ExportJob {
  std::shared_ptr<Instance> instance;
  std::vector<ProfileExportItem> items;
  std::string path;
  napi_deferred deferred = nullptr;
  bool settled = false;  // JS thread only
};
using JobPtr = std::shared_ptr<ExportJob>;

Error Denied(const std::string& why) {
  return Error(ErrorCode::kExportDenied,
               "Profiles were not exported with their secrets: " + why +
                   ". Nothing was written.",
               "Export without includeSecrets: the file then holds the "
               "apiKeyRef of each profile, which is enough to re-create it.");
}

void Reject(napi_env env, const JobPtr& job, const Error& e) {
  if (job->settled) return;
  job->settled = true;
  SettleDeferred(env, job->deferred, false,
                 ErrorValue(env, e, &job->instance->redactor()));
}

// Resolves and writes on keyref's WorkPool: resolution blocks (keyring,
// host store, child processes) and so does the file I/O. Only after the
// confirmation, which `confirmed` carries to the core's own check.
void Run(napi_env env, const JobPtr& job, bool confirmed) {
  if (job->settled) return;
  job->settled = true;
  GetPool(Napi::Env(env))
      .Submit(
          Napi::Env(env),
          [job, confirmed]() -> WorkPool::Done {
            // The shared_ptr keeps the instance alive even if the JS Sidecar
            // is collected meanwhile.
            auto r = std::make_shared<Result<ProfileExportStats>>(
                WriteProfileExportWithSecrets(*job->instance, job->items,
                                              job->path, confirmed));
            return [job, r](napi_env env) {
              if (!r->ok()) {
                SettleDeferred(
                    env, job->deferred, false,
                    ErrorValue(env, r->error(), &job->instance->redactor()));
                return;
              }
              napi_value out = nullptr, n = nullptr;
              if (napi_create_object(env, &out) == napi_ok) {
                napi_create_double(
                    env, static_cast<double>(r->value().profiles), &n);
                napi_set_named_property(env, out, "profiles", n);
                napi_create_double(env, static_cast<double>(r->value().secrets),
                                   &n);
                napi_set_named_property(env, out, "secrets", n);
              }
              SettleDeferred(env, job->deferred, true, out);
            };
          },
          [job](napi_env env) {
            SettleDeferred(env, job->deferred, false,
                           ErrorValue(env, Error(ErrorCode::kInternal,
                                                 "keyref failed internally.")));
          });
}

// The answer of the confirm callback: only the boolean true opens the gate.
void OnAnswer(Napi::Env env, const JobPtr& job, Napi::Value answer) {
  if (answer.IsBoolean() && answer.As<Napi::Boolean>().Value()) {
    Run(env, job, true);
  } else {
    Reject(env, job, Denied("the export was not confirmed"));
  }
}

// { file, profileIds, apiKeyRefs }: what the user is asked to confirm, built
// from what will be written. apiKeyRefs[i] is the apiKeyRef of profile
// profileIds[i] (a ref such as env:NAME, never a key; "" when it has none):
// the person sees which stores' keys land in the file, so a profile whose
// ref was pointed at an unrelated entry (env:GITHUB_TOKEN) is not exported
// behind a bare count.
Napi::Object ConfirmInfo(Napi::Env env, const ExportJob& job) {
  Napi::Object info = Napi::Object::New(env);
  info.Set("file", job.path);
  std::vector<std::string> ids = ProfileExportIds(job.items);
  Napi::Array arr = Napi::Array::New(env, ids.size());
  Napi::Array refs = Napi::Array::New(env, ids.size());
  for (std::uint32_t i = 0; i < ids.size(); ++i) {
    arr.Set(i, ids[i]);
    refs.Set(i, job.items[i].ref);
  }
  info.Set("profileIds", arr);
  info.Set("apiKeyRefs", refs);
  return info;
}

// Calls confirm(info) and waits for its answer (a value or a thenable).
void AskConfirm(Napi::Env env, const JobPtr& job, Napi::Function confirm) {
  try {
    Napi::Value answer = confirm.Call({ConfirmInfo(env, *job)});
    Napi::Value then = answer.IsObject() ? answer.As<Napi::Object>().Get("then")
                                         : env.Undefined();
    if (!then.IsFunction()) {
      OnAnswer(env, job, answer);
      return;
    }
    auto fulfilled =
        Napi::Function::New(env, [job](const Napi::CallbackInfo& info) {
          OnAnswer(info.Env(), job, info[0]);
        });
    auto rejected =
        Napi::Function::New(env, [job](const Napi::CallbackInfo& info) {
          Reject(info.Env(), job, Denied("the confirm callback failed"));
        });
    then.As<Napi::Function>().Call(answer, {fulfilled, rejected});
  } catch (const Napi::Error&) {
    // A throwing callback (or getter): its error is not passed on, it may
    // quote anything.
    Reject(env, job, Denied("the confirm callback failed"));
  }
}

}  // namespace

// secretExportAllowed(): boolean — what policy.allowSecretExport says, read
// from the instance (the TS layer asks before it shows the confirm modal).
Napi::Value Sidecar::SecretExportAllowed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(),
                            instance_->policy().allow_secret_export);
}

// exportWithSecrets(items: [profileJson: string, ref: string][],
//                   path: string,
//                   confirm: (info) => boolean | Promise<boolean>):
//   Promise<{ profiles, secrets }>
// Called by addon/ts/profiles.ts after its own gate; refuses on its own
// (EXPORT_DENIED) whoever calls it.
Napi::Value Sidecar::ExportWithSecrets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "exportWithSecrets(items: [string, string][], path: string, "
      "confirm: function)";
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsString()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE", usage);
  }
  auto job = std::make_shared<ExportJob>();
  job->instance = instance_;
  Napi::Array arr = info[0].As<Napi::Array>();
  job->items.reserve(arr.Length());
  for (std::uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    Napi::Value json = v.IsArray() ? v.As<Napi::Array>().Get(0u) : v;
    Napi::Value ref = v.IsArray() ? v.As<Napi::Array>().Get(1u) : v;
    if (!v.IsArray() || !json.IsString() || !ref.IsString()) {
      throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE", usage);
    }
    job->items.push_back({json.As<Napi::String>().Utf8Value(),
                          ref.As<Napi::String>().Utf8Value()});
  }
  job->path = info[1].As<Napi::String>().Utf8Value();
  napi_value promise = NewPromise(env, &job->deferred);
  if (instance_->closed()) {
    Reject(env, job, SidecarClosedError());
  } else if (!instance_->policy().allow_secret_export) {
    // Before the callback: the modal is never shown for a closed policy.
    Reject(env, job, Denied("policy.allowSecretExport is not true"));
  } else if (info.Length() < 3 || !info[2].IsFunction()) {
    Reject(env, job, Denied("no confirm callback was given"));
  } else {
    AskConfirm(env, job, info[2].As<Napi::Function>());
  }
  return Napi::Value(env, promise);
}

}  // namespace keyref::addon
