// sidecar.redact(text): the host scrubs its own strings (a conversation log,
// an error toast, a log line) with the rules keyref applies to everything it
// emits. Hosts call it once per log line, so the boundary itself is kept
// lean (docs/performance.md, "Redaction, third pass: the N-API boundary"):
//
// - a plain Node-API callback whose data pointer is the instance: no
//   ObjectWrap unwrap (a private-property lookup), no CallbackInfo;
// - one copy of a short text into a reused scratch buffer; the native side
//   finds out itself whether the text is ASCII (no Buffer.byteLength pass in
//   TypeScript);
// - a large ASCII result handed to V8 as an external string backed by
//   huge pages, instead of a fresh V8 large object whose every 4 KiB page
//   faults in (the largest cost of an 8 MB call on the machines measured).
//
// What does not change (docs/threat-model.md, docs/redaction.md): the result
// holds scrubbed text only and never references the caller's string (V8's
// own replace() returns a rope of slices of its input, which keeps the
// unscrubbed input alive; keyref's result must not); the copy of the input
// is wiped after every call; a text that needs no change is handed back as
// the same string.
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "errors.h"
#include "keyref/secret_value.h"
#include "sidecar.h"

namespace keyref::addon {
namespace {

// What the bound function holds. JS may keep `native.redact` after the
// Sidecar object is gone, so the function owns a reference to the instance
// (freed with the function), never a pointer into the wrapper.
struct RedactBinding {
  std::shared_ptr<Instance> instance;
};

// Scratch buffers reused across calls on one JS thread (an environment runs
// on one thread; worker threads get their own). Fresh megabyte buffers would
// cost a page fault per 4 KiB on every call. The input buffer is never
// zero-filled before a copy and is wiped after each use, since a host string
// may hold a key; the output is scrubbed already.
struct Scratch {
  // A log line or an error text is copied in one call; a longer text is
  // measured first, then copied.
  static constexpr std::size_t kFirstCap = 16 * 1024;
  std::unique_ptr<char[]> in{new char[kFirstCap]};
  std::size_t cap = kFirstCap;
  std::string out;

  // Makes room for `size` bytes; whatever the buffer held must have been
  // wiped already.
  void Reserve(std::size_t size) {
    if (size <= cap) return;
    std::unique_ptr<char[]> bigger(new char[size]);  // may throw: keep `in`
    in = std::move(bigger);
    cap = size;
  }
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Wipes what a copy may have written into the input buffer, and drops the
// output, however the call ends.
struct WipeInput {
  Scratch& s;
  std::size_t size = 0;
  ~WipeInput() {
    SecureZero(s.in.get(), size);
    s.out.clear();
  }
};

enum class Encoding {
  kUtf8,     // s.in holds UTF-8, which may or may not be ASCII
  kAscii,    // s.in holds ASCII (copied as Latin-1: the same bytes)
  kNonAscii  // s.in holds UTF-8 with at least one non-ASCII character
};

// Copies the string `value` into s.in and sets *len. A short text is copied
// as UTF-8 in one call. A longer one is measured: when its UTF-8 length is
// its length in UTF-16 units, every character is ASCII, and it is copied as
// Latin-1 (plain memcpy, far faster than transcoding 8 MB).
// napi_string_expected when `value` is not a string.
napi_status ReadText(napi_env env, napi_value value, WipeInput& wipe,
                     std::size_t* len, Encoding* encoding) {
  Scratch& s = wipe.s;
  // A UTF-8 copy stops before a character that does not fit whole (up to 4
  // bytes): a copy this close to the end may have been cut.
  constexpr std::size_t kMayBeCut = 4;
  *encoding = Encoding::kUtf8;
  napi_status st =
      napi_get_value_string_utf8(env, value, s.in.get(), s.cap, len);
  if (st != napi_ok) return st;
  wipe.size = *len + 1;  // the copy and its NUL
  if (*len + kMayBeCut < s.cap) return napi_ok;

  std::size_t utf8 = 0;
  std::size_t units = 0;
  if ((st = napi_get_value_string_utf8(env, value, nullptr, 0, &utf8)) !=
          napi_ok ||
      (st = napi_get_value_string_utf16(env, value, nullptr, 0, &units)) !=
          napi_ok) {
    return st;
  }
  SecureZero(s.in.get(), wipe.size);  // the cut copy
  wipe.size = 0;
  s.Reserve(utf8 + 1);
  wipe.size = utf8 + 1;
  if (utf8 == units) {
    *encoding = Encoding::kAscii;
    return napi_get_value_string_latin1(env, value, s.in.get(), s.cap, len);
  }
  *encoding = Encoding::kNonAscii;
  return napi_get_value_string_utf8(env, value, s.in.get(), s.cap, len);
}

bool IsAscii(std::string_view text) {
  unsigned char any = 0;
  for (unsigned char c : text) any |= c;
  return any < 0x80;
}

// Large results: external one-byte strings over huge pages.
//
// A result string above V8's largest regular object (128 KiB) is a large
// object on fresh pages, and every one of its 4 KiB pages faults in when
// it is written: on the VMs measured that is most of an 8 MB call. An
// external string lets the result live in memory keyref maps with 2 MiB
// pages (madvise(MADV_HUGEPAGE)), four faults for 8 MiB. V8 frees it with
// the string (the finalizer below); napi_adjust_external_memory tells V8
// about the memory, so that its garbage collector runs as results pile up
// (without it, dead 8 MB results waited for an unrelated collection).
//
// node_api_create_external_string_latin1 is Node-API 10 (experimental in
// Node 20, absent from older Node and Electron builds): it is looked up at
// run time, and without it (or without transparent huge pages, where an
// external string would fault in as many pages as V8's own copy) results
// are plain V8 strings, as before. Where V8 runs with its sandbox (Electron),
// Node-API copies the text into a V8 string and calls the finalizer at once
// (`copied` is true): correct, just no faster.
using CreateExternalLatin1 = napi_status (*)(napi_env env, char* str,
                                             std::size_t length,
                                             napi_finalize finalize_callback,
                                             void* finalize_hint,
                                             napi_value* result, bool* copied);

constexpr std::size_t kHugePage = std::size_t{2} << 20;
// Below this a result stays a plain V8 string: it would not fill one huge
// page, so it would fault in 4 KiB pages like V8's own copy.
constexpr std::size_t kExternalMin = kHugePage;

bool HugePagesAvailable() {
  std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f) return false;
  char mode[128] = {};
  const std::size_t n = std::fread(mode, 1, sizeof mode - 1, f);
  std::fclose(f);
  const std::string_view m(mode, n);
  return m.find("[always]") != m.npos || m.find("[madvise]") != m.npos;
}

// Process-wide facts, found once: what the running Node offers and what
// the kernel does. Read-only after that.
CreateExternalLatin1 ExternalLatin1() {
  static const CreateExternalLatin1 create = []() -> CreateExternalLatin1 {
    if (!HugePagesAvailable()) return nullptr;
    return reinterpret_cast<CreateExternalLatin1>(
        dlsym(RTLD_DEFAULT, "node_api_create_external_string_latin1"));
  }();
  return create;
}

// A 2 MiB-aligned mapping of `size` bytes (rounded up to whole pages): its
// whole 2 MiB stretches fault in as huge pages, the tail as small ones, so
// no more memory is mapped (and reported to V8) than the text needs.
// nullptr when the kernel refuses.
char* MapHuge(std::size_t size, std::size_t* mapped) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t len = (size + page - 1) / page * page;
  void* raw = mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto at = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t start = (at + kHugePage - 1) & ~(kHugePage - 1);
  if (start > at) munmap(raw, start - at);
  const std::uintptr_t end = start + len;
  if (at + len + kHugePage > end)
    munmap(reinterpret_cast<void*>(end), at + len + kHugePage - end);
  madvise(reinterpret_cast<void*>(start), len, MADV_HUGEPAGE);  // a hint
  *mapped = len;
  return reinterpret_cast<char*>(start);
}

// V8 is done with an external result (or copied it at once). The memory
// holds scrubbed text only, so it is unmapped without a wipe. `env` is null
// when the environment is being torn down.
void FreeExternal(napi_env env, void* data, void* hint) {
  const auto mapped = reinterpret_cast<std::uintptr_t>(hint);
  munmap(data, mapped);
  if (env) {
    std::int64_t unused = 0;
    napi_adjust_external_memory(env, -static_cast<std::int64_t>(mapped),
                                &unused);
  }
}

// The result as an external string, or nullptr (then the caller makes a
// plain one).
napi_value ExternalResult(napi_env env, std::string_view text) {
  const CreateExternalLatin1 create = ExternalLatin1();
  if (!create || text.size() < kExternalMin) return nullptr;
  std::size_t mapped = 0;
  char* buf = MapHuge(text.size(), &mapped);
  if (!buf) return nullptr;
  // The text is the scrubbed result: nothing here needs a wipe. The copy of
  // the input is wiped by WipeInput, as for every call.
  std::memcpy(buf, text.data(), text.size());
  std::int64_t unused = 0;
  napi_adjust_external_memory(env, static_cast<std::int64_t>(mapped), &unused);
  napi_value result = nullptr;
  bool copied = false;
  if (create(env, buf, text.size(), FreeExternal,
             reinterpret_cast<void*>(static_cast<std::uintptr_t>(mapped)),
             &result, &copied) != napi_ok) {
    FreeExternal(env, buf, reinterpret_cast<void*>(mapped));  // not taken
    return nullptr;
  }
  return result;
}

napi_value MakeResult(napi_env env, std::string_view out, Encoding encoding) {
  const bool ascii = encoding == Encoding::kAscii ||
                     (encoding == Encoding::kUtf8 && IsAscii(out));
  napi_value result = nullptr;
  if (ascii && (result = ExternalResult(env, out))) return result;
  const napi_status st =
      ascii ? napi_create_string_latin1(env, out.data(), out.size(), &result)
            : napi_create_string_utf8(env, out.data(), out.size(), &result);
  return st == napi_ok ? result : nullptr;
}

void ThrowTextType(napi_env env) {
  MakeArgError(Napi::Env(env), false, "ERR_INVALID_ARG_TYPE",
               "redact(text: string)")
      .ThrowAsJavaScriptException();
}

// redact(text: string): string
napi_value Redact(napi_env env, napi_callback_info info) {
  std::size_t argc = 1;
  napi_value text = nullptr;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, &text, nullptr, &data) != napi_ok) {
    return nullptr;
  }
  if (argc < 1) {
    ThrowTextType(env);
    return nullptr;
  }
  const Instance& instance = *static_cast<RedactBinding*>(data)->instance;
  try {
    WipeInput wipe{ThreadScratch()};
    std::size_t len = 0;
    Encoding encoding = Encoding::kUtf8;
    const napi_status st = ReadText(env, text, wipe, &len, &encoding);
    if (st == napi_string_expected) {
      ThrowTextType(env);
      return nullptr;
    }
    if (st != napi_ok) {
      Napi::Error::New(Napi::Env(env)).ThrowAsJavaScriptException();
      return nullptr;
    }
    Scratch& s = wipe.s;
    if (!instance.redactor().Scrub({s.in.get(), len}, &s.out)) {
      return text;  // unchanged: the same string, no copy
    }
    napi_value result = MakeResult(env, s.out, encoding);
    if (!result) Napi::Error::New(Napi::Env(env)).ThrowAsJavaScriptException();
    return result;
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "ERR_MEMORY_ALLOCATION_FAILED",
                     "redact: not enough memory for this text");
    return nullptr;
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
}

void FreeBinding(napi_env, void* data, void*) {
  delete static_cast<RedactBinding*>(data);
}

}  // namespace

void DefineRedact(Napi::Env env, Napi::Object self,
                  std::shared_ptr<Instance> instance) {
  auto binding = std::make_unique<RedactBinding>();
  binding->instance = std::move(instance);
  napi_value fn = nullptr;
  NAPI_THROW_IF_FAILED_VOID(
      env, napi_create_function(env, "redact", NAPI_AUTO_LENGTH, Redact,
                                binding.get(), &fn));
  NAPI_THROW_IF_FAILED_VOID(
      env, napi_add_finalizer(env, fn, binding.get(), FreeBinding, nullptr,
                              nullptr));
  binding.release();  // the function owns it now
  // Not writable, not enumerable: a method, as it was on the prototype.
  napi_property_descriptor desc = {"redact", nullptr, nullptr,      nullptr,
                                   nullptr,  fn,      napi_default, nullptr};
  NAPI_THROW_IF_FAILED_VOID(env, napi_define_properties(env, self, 1, &desc));
}

}  // namespace keyref::addon
