#include "ref_binding.h"

#include <array>

#include "addon_data.h"
#include "errors.h"
#include "keyref/ref.h"
#include "keyref/secret_value.h"

namespace keyref::addon {
namespace {

// Layout of the Int32Array that checkRef fills (mirrored in addon/ts/ref.ts).
enum RefOut : int {
  kScheme = 0,
  kRule,
  kPosition,
  kFamily,
  kCaseMismatch,
  kNameStart,  // then start/length pairs: name, service, account, vault,
               // item, section, field
  kRefOutSize = kNameStart + 14,
};

constexpr std::size_t kMaxCopy = 4096;

// checkRef(ref: string, schemeBits: number): number
// Returns the ErrorCode as a number (0 = valid) and fills the scratch array.
// Offsets are byte offsets, which equal JS string indices for a valid ref
// (valid refs are ASCII).
Napi::Value CheckRefJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    throw MakeArgError(env, false, "ERR_INVALID_ARG_TYPE",
                       "checkRef(ref: string, schemeBits: number)");
  }
  std::array<char, kMaxCopy + 1> buf;
  std::size_t len = 0;
  napi_status st =
      napi_get_value_string_utf8(env, info[0], buf.data(), buf.size(), &len);
  if (st != napi_ok) throw Napi::Error::New(env, "could not read the ref");
  // A string that filled the buffer may be longer: it is certainly over the
  // 256-character limit, and only its start is needed for the literal check.
  bool truncated = len >= kMaxCopy;
  auto bits =
      static_cast<std::uint8_t>(info[1].As<Napi::Number>().Uint32Value());
  std::string_view input(buf.data(), len);
  RefCheck c = CheckRef(input, SchemeSet::FromBits(bits), truncated);

  std::int32_t* out = GetData(env)->ref_out_data;
  out[kScheme] = c.scheme_known || c.case_mismatch
                     ? static_cast<std::int32_t>(c.scheme)
                     : -1;
  out[kRule] = static_cast<std::int32_t>(c.rule);
  out[kPosition] = static_cast<std::int32_t>(c.position);
  out[kFamily] = static_cast<std::int32_t>(c.family);
  out[kCaseMismatch] = c.case_mismatch ? 1 : 0;
  const std::string_view parts[] = {
      c.parts.name, c.parts.service, c.parts.account, c.parts.vault,
      c.parts.item, c.parts.section, c.parts.field};
  for (int i = 0; i < 7; ++i) {
    const std::string_view& p = parts[i];
    out[kNameStart + 2 * i] =
        p.data() ? static_cast<std::int32_t>(p.data() - buf.data()) : 0;
    out[kNameStart + 2 * i + 1] = static_cast<std::int32_t>(p.size());
  }
  // Wipe the copy: a refused literal secret must not linger on the stack.
  SecureZero(buf.data(), len);
  return Napi::Number::New(env, static_cast<double>(c.code));
}

// describeRef(code, rule, scheme, position, family, caseMismatch):
// [code: string, message: string, hint: string]
Napi::Value DescribeRefJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RefCheck c;
  c.code = static_cast<ErrorCode>(info[0].As<Napi::Number>().Int32Value());
  c.rule = static_cast<RefRule>(info[1].As<Napi::Number>().Int32Value());
  int scheme = info[2].As<Napi::Number>().Int32Value();
  if (scheme >= 0 && scheme < kSchemeCount) {
    c.scheme = static_cast<Scheme>(scheme);
    c.scheme_known = true;
  }
  c.position = info[3].As<Napi::Number>().Uint32Value();
  c.family =
      static_cast<CredentialFamily>(info[4].As<Napi::Number>().Int32Value());
  c.case_mismatch = info[5].As<Napi::Boolean>().Value();
  Error e = DescribeRefError(c);
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::String::New(env, ErrorCodeName(e.code)));
  result.Set(1u, Napi::String::New(env, e.message));
  result.Set(2u, Napi::String::New(env, e.hint));
  return result;
}

}  // namespace

void InitRefBinding(Napi::Env env, Napi::Object exports) {
  AddonData* data = GetData(env);
  Napi::Int32Array out = Napi::Int32Array::New(env, kRefOutSize);
  data->ref_out = Napi::Persistent(out);
  data->ref_out_data = out.Data();
  exports.Set("refOut", out);
  exports.Set("checkRef", Napi::Function::New(env, CheckRefJs, "checkRef"));
  exports.Set("describeRef",
              Napi::Function::New(env, DescribeRefJs, "describeRef"));
}

}  // namespace keyref::addon
