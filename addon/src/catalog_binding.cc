#include "catalog_binding.h"

#include <string>
#include <string_view>

#include "keyref/credential_names.h"
#include "keyref/error.h"
#include "keyref/provider.h"
#include "keyref/ref.h"

namespace keyref::addon {
namespace {

Napi::String Str(Napi::Env env, std::string_view s) {
  return Napi::String::New(env, s.data(), s.size());
}

Napi::Object Frozen(Napi::Object o) {
  o.Freeze();
  return o;
}

template <typename List>
Napi::Array Names(Napi::Env env, const List& list) {
  Napi::Array out = Napi::Array::New(env);
  std::uint32_t i = 0;
  for (std::string_view s : list) out.Set(i++, Str(env, s));
  out.Freeze();
  return out;
}

// A frozen array with one frozen object per row that `keep` accepts,
// filled by `fill`.
template <typename Row, std::size_t N, typename Fill, typename Keep>
Napi::Array Rows(Napi::Env env, const Row (&rows)[N], Fill fill, Keep keep) {
  Napi::Array out = Napi::Array::New(env);
  std::uint32_t i = 0;
  for (const Row& row : rows) {
    if (!keep(row)) continue;
    Napi::Object o = Napi::Object::New(env);
    fill(row, o);
    out.Set(i++, Frozen(o));
  }
  out.Freeze();
  return out;
}

template <typename Row>
bool All(const Row&) {
  return true;
}

Napi::Array Schemes(Napi::Env env) {
  return Rows(
      env, kSchemes,
      [env](const SchemeInfo& s, Napi::Object o) {
        o.Set("name", Str(env, s.name));
        o.Set("defaultEnabled", Napi::Boolean::New(env, s.default_enabled));
        o.Set("form", Str(env, s.form));
        o.Set("writable", Napi::Boolean::New(env, s.writable));
      },
      All<SchemeInfo>);
}

// Every code but OK, which is never on an error.
Napi::Array ErrorCodes(Napi::Env env) {
  return Rows(
      env, kErrorCodes,
      [env](const ErrorCodeInfo& e, Napi::Object o) {
        o.Set("code", Str(env, e.name));
        o.Set("class", Str(env, ErrorClassName(e.error_class)));
      },
      [](const ErrorCodeInfo& e) { return e.code != ErrorCode::kOk; });
}

Napi::Array Extras(Napi::Env env, const ProviderInfo& p) {
  return Rows(
      env, p.extras,
      [env](const ProviderExtra& e, Napi::Object o) {
        bool header = e.kind == ProviderExtra::Kind::kHeader;
        o.Set("kind", Str(env, header ? "header" : "query"));
        o.Set("name", Str(env, e.name));
        o.Set("option", Str(env, ProviderOptionName(e.option)));
        o.Set("fallback", Str(env, e.fallback));
        o.Set("unlessCallerSets",
              Napi::Boolean::New(env, e.unless_caller_sets));
      },
      [](const ProviderExtra& e) {
        return e.kind != ProviderExtra::Kind::kNone;
      });
}

Napi::Array Providers(Napi::Env env) {
  return Rows(
      env, kProviders,
      [env](const ProviderInfo& p, Napi::Object o) {
        o.Set("name", Str(env, p.name));
        o.Set("authHeader", Str(env, p.auth.header));
        o.Set("authPrefix", Str(env, p.auth.prefix));
        o.Set("keyRequired", Napi::Boolean::New(env, p.key_required));
        o.Set("defaultOrigin", Str(env, p.default_origin));
        o.Set("defaultPath", Str(env, p.default_path));
        o.Set("extras", Extras(env, p));
      },
      All<ProviderInfo>);
}

}  // namespace

void InitCatalogBinding(Napi::Env env, Napi::Object exports) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("schemes", Schemes(env));
  c.Set("errorCodes", ErrorCodes(env));
  c.Set("providers", Providers(env));
  c.Set("credentialHeaders", Names(env, kCredentialHeaders));
  c.Set("keyrefOwnedHeaders", Names(env, kKeyrefOwnedHeaders));
  c.Set("keyLikeQueryNames", Names(env, kKeyLikeQueryNames));
  c.Set("credentialNameParts", Names(env, kCredentialNameParts));
  c.Set("credentialNameWords", Names(env, kCredentialNameWords));
  c.Set("credentialNameExceptions", Names(env, kCredentialNameExceptions));
  c.Set("profileUrlKeyNames", Names(env, kProfileUrlKeyNames));
  exports.Set("catalog", Frozen(c));
}

}  // namespace keyref::addon
