// sidecar.redact(text): the host scrubs its own strings (a conversation log,
// an error toast, a log line) with the rules keyref applies to everything it
// emits. Hosts call it once per log line, so the boundary itself is kept
// lean (docs/performance.md, "Redaction, third pass: the N-API boundary"):
//
// - a plain Node-API callback whose data pointer is the instance: no
//   ObjectWrap unwrap (a private-property lookup), no CallbackInfo;
// - one copy of a short ASCII text into a reused scratch buffer, as UTF-16
//   narrowed in place; the native side finds out itself whether the text is
//   ASCII (no Buffer.byteLength pass in TypeScript);
// - a large ASCII result handed to V8 as an external string backed by
//   huge pages, instead of a fresh V8 large object whose every 4 KiB page
//   faults in (the largest cost of an 8 MB call on the machines measured);
//   the result is rendered straight into that memory, and the memory of
//   dead results is reused (a small pool per environment);
// - a long text copied once, as UTF-8 into room it cannot overflow, with no
//   separate pass to measure it.
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

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "addon_data.h"
#include "errors.h"
#include "keyref/ascii.h"
#include "keyref/redactor.h"
#include "keyref/secret_value.h"
#include "sidecar.h"

namespace keyref::addon {
namespace {

// What the bound function holds. JS may keep `native.redact` after the
// Sidecar object is gone, so the function owns a reference to the instance
// (freed with the function), never a pointer into the wrapper.
struct RedactBinding {
  std::shared_ptr<Instance> instance;
  // The environment's scratch buffers (AddonData::redact_scratch), shared:
  // held for as long as the function may still be called.
  std::shared_ptr<RedactScratch> scratch;
};

}  // namespace

// Scratch buffers reused across calls in one environment (it runs on one
// thread; worker threads get their own environment, so their own buffers).
// The environment's AddonData and each redact function share them (a
// shared_ptr): no thread_local, whose lookup in a shared object
// (__tls_get_addr, twice for one with a constructor) was a measurable part
// of a short text's call (docs/performance.md, "per-call, tenth pass"). Fresh
// megabyte buffers would cost a page fault per 4 KiB on every call. The input
// buffer is never zero-filled before a copy and is wiped after each use, since
// a host string may hold a key; the output and the spans are scrubbed text and
// positions.
struct RedactScratch {
  // A log line or an error text is copied in one call; a longer text is
  // copied again into room it cannot overflow.
  static constexpr std::size_t kFirstCap = 16 * 1024;
  // After a large text, the buffers go back to their first size once this
  // many texts in a row have fitted in kFirstCap: an environment that redacted
  // one 8 MB text does not keep 24 MB for its life, and a host that keeps
  // redacting large texts does not pay for fresh pages every call.
  static constexpr int kSmallCallsBeforeShrink = 16;
  std::unique_ptr<char[]> in{new char[kFirstCap]};
  std::size_t cap = kFirstCap;
  std::string out;
  std::vector<Redactor::Span> spans;
  // The redactor's state for a caller (positions and cached sets, never
  // text), kept here with the buffers: a call makes no thread-local lookup.
  Redactor::Workspace workspace;
  int small_calls = 0;

  // Makes room for `size` bytes; whatever the buffer held must have been
  // wiped already.
  void Reserve(std::size_t size) {
    if (size <= cap) return;
    std::unique_ptr<char[]> bigger(new char[size]);  // may throw: keep `in`
    in = std::move(bigger);
    cap = size;
  }

  // After a call that wrote `used` bytes into `in`, all of them wiped.
  // True when the buffers went back to their first size.
  bool AfterCall(std::size_t used) noexcept {
    out.clear();
    spans.clear();
    if (cap == kFirstCap && out.capacity() <= kFirstCap) return false;
    if (used > kFirstCap) {
      small_calls = 0;
      return false;
    }
    if (++small_calls < kSmallCallsBeforeShrink) return false;
    small_calls = 0;
    std::string().swap(out);
    std::vector<Redactor::Span>().swap(spans);
    char* first = new (std::nothrow) char[kFirstCap];
    if (!first) return false;  // keep the large one
    in.reset(first);
    cap = kFirstCap;
    return true;
  }
};

namespace {

using Scratch = RedactScratch;

void DrainPool(napi_env env) noexcept;

// Wipes what a copy may have written into the input buffer, and drops the
// output, however the call ends. When the buffers shrink after a run of
// small texts, the pool of large-result memory is emptied too.
struct WipeInput {
  napi_env env;
  Scratch& s;
  std::size_t size = 0;
  ~WipeInput() {
    SecureZero(s.in.get(), size);
    if (s.AfterCall(size)) DrainPool(env);
  }
};

// Copies the string `value` into s.in as UTF-8, sets *len, and *ascii when
// every character is ASCII. A text that fits the
// buffer as UTF-16 is copied so (V8's cheapest copy) and narrowed in place
// when every unit is ASCII (NarrowAscii, keyref/ascii.h): then it is its own
// UTF-8. Any other text is copied again, as UTF-8, over it: in one call when
// it fits. A longer one is copied once more, as UTF-8 into room for
// 3 bytes per UTF-16 unit (no unit writes more: a surrogate pair writes 4
// bytes for 2 units), so that copy is never cut. Every unit writes at least
// one byte, so the copy is as long as the text in units exactly when every
// character is ASCII: no separate pass measures the text (V8's UTF-8 length
// is a slower pass than its copy) or looks for a non-ASCII byte (V8 knows
// the length in units), and a Latin-1 copy, which would cut U+0100 and
// above to their low byte, is never needed.
// napi_string_expected when `value` is not a string.
napi_status ReadText(napi_env env, napi_value value, WipeInput& wipe,
                     std::size_t* len, bool* ascii) {
  Scratch& s = wipe.s;
  // A UTF-8 copy stops before a character that does not fit whole (up to 4
  // bytes): a copy this close to the end may have been cut.
  constexpr std::size_t kMayBeCut = 4;
  *ascii = false;
  // The UTF-16 copy: at most room16 - 1 units and a NUL, so a text of
  // room16 - 1 units or more may have been cut. Within the first buffer's
  // size even when the buffer grew: a longer text is cheaper as UTF-8 (half
  // the bytes), and its copy must not count as a large call (AfterCall), or
  // an environment redacting 8K-16K texts would keep a grown buffer for
  // good.
  const std::size_t room16 =
      std::min(s.cap, Scratch::kFirstCap) / sizeof(char16_t);
  std::size_t units = 0;
  napi_status st = napi_get_value_string_utf16(
      env, value, reinterpret_cast<char16_t*>(s.in.get()), room16, &units);
  if (st != napi_ok) return st;
  wipe.size = (units + 1) * sizeof(char16_t);  // the copy and its NUL
  if (units + 1 < room16 && NarrowAscii(s.in.get(), units, s.in.get())) {
    *len = units;
    *ascii = true;
    return napi_ok;
  }
  // Not ASCII, or cut: the UTF-8 copy overwrites it from the start, so
  // wiping the larger of the two covers both.
  if ((st = napi_get_value_string_utf8(env, value, s.in.get(), s.cap, len)) !=
      napi_ok) {
    return st;
  }
  wipe.size = std::max(wipe.size, *len + 1);
  if (units + 1 >= room16 && (st = napi_get_value_string_utf16(
                                  env, value, nullptr, 0, &units)) != napi_ok) {
    return st;  // V8 knows the length: no pass over the text
  }
  if (*len + kMayBeCut < s.cap) {
    *ascii = *len == units;  // whole
    return napi_ok;
  }
  std::size_t room = 3 * units + 1;
  if (room > s.cap) {
    SecureZero(s.in.get(), wipe.size);  // the cut copy, before it is freed
    wipe.size = 0;
    try {
      s.Reserve(room);
    } catch (const std::bad_alloc&) {
      // Three bytes per unit is more than a very long text needs (an ASCII
      // text needs one): measure it, and ask for no more than that.
      std::size_t utf8 = 0;
      if ((st = napi_get_value_string_utf8(env, value, nullptr, 0, &utf8)) !=
          napi_ok) {
        return st;
      }
      room = utf8 + 1;
      s.Reserve(room);  // may throw again: then there is no room at all
    }
  }
  // The whole copy overwrites the cut one from the start, so wiping what
  // this copy wrote covers both.
  if ((st = napi_get_value_string_utf8(env, value, s.in.get(), room, len)) !=
      napi_ok) {
    return st;
  }
  wipe.size = std::max(wipe.size, *len + 1);
  *ascii = *len == units;
  return napi_ok;
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

}  // namespace

// The mappings of dead results, kept for the next large result of the same
// environment: a fresh mapping faults in and the kernel zeroes every page of
// it (several milliseconds for 8 MB), a reused one is written in place. A
// mapping holds scrubbed text only (a previous result), so it needs no wipe
// before it goes back, and the new result's string has its own exact length:
// no byte of the previous result beyond it is ever part of a string.
//
// Bounded (kPoolMaxCount mappings, kPoolMaxBytes): results the pool cannot
// take are unmapped. A result takes a mapping less than one huge page larger
// than it needs, never a much larger one: a small result kept alive would
// otherwise hold a large mapping's pages for as long as it lives. The pool
// is emptied when the host goes back to small texts (when the input buffer
// shrinks, see Scratch), and from then on takes nothing until the next
// large result: results that die after the drain are unmapped, so a burst
// of large texts does not leave its memory behind for the life of the
// process. The
// environment's cleanup hook closes it (a worker thread that exits unmaps
// everything); a result freed after that is unmapped at once. Finalizers run
// on the environment's thread, but the pool is locked anyway: it costs
// nothing next to an 8 MB copy.
//
// What V8 is told (napi_adjust_external_memory): the bytes this environment
// has mapped, in results or in the pool. A mapping is reported when it is
// made and unreported when it is unmapped; going back to the pool or out of
// it changes nothing. V8 collects garbage after enough new external memory,
// so dead results are still freed (and their mappings pooled) as they pile
// up, but a host that redacts large texts in a loop mostly reuses mappings,
// which V8 does not count as growth: fewer full collections (about half as
// many in bench/node/redact_bench.js). The price: between two collections
// the memory of results can reach the pool's bound plus the growth V8
// allows before it collects (64 MiB in V8 11), where without the pool it
// was that growth alone.
class ResultPool {
 public:
  static constexpr std::size_t kPoolMaxCount = 8;
  static constexpr std::size_t kPoolMaxBytes = std::size_t{64} << 20;

  // A mapping of at least `size` bytes and less than a huge page more from
  // the pool (the smallest that fits), or nullptr. A large result is being
  // made: the pool takes dead results again.
  char* Take(std::size_t size, std::size_t* mapped) {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = true;
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->mapped >= size && it->mapped - size < kHugePage &&
          (best == free_.end() || it->mapped < best->mapped)) {
        best = it;
      }
    }
    if (best == free_.end()) return nullptr;
    char* data = best->data;
    *mapped = best->mapped;
    bytes_ -= best->mapped;
    free_.erase(best);
    ++reused_;
    return data;
  }

  // Keeps a mapping no string uses any more; false when the pool is full or
  // closed (then the caller unmaps it).
  bool Give(char* data, std::size_t mapped) noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || !accepting_ || free_.size() >= kPoolMaxCount ||
        bytes_ + mapped > kPoolMaxBytes) {
      return false;
    }
    try {
      free_.push_back({data, mapped});  // room reserved: see the constructor
    } catch (...) {
      return false;
    }
    bytes_ += mapped;
    return true;
  }

  // Unmaps what the pool holds, and takes nothing more until the next
  // large result (Take); returns how many bytes that was.
  std::size_t Drain() noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
    const std::size_t bytes = bytes_;
    for (const Mapping& m : free_) munmap(m.data, m.mapped);
    free_.clear();
    bytes_ = 0;
    return bytes;
  }

  // The environment is going away: unmaps what the pool holds and takes
  // nothing more.
  void Close() noexcept {
    Drain();
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }

  ResultPool() { free_.reserve(kPoolMaxCount); }

  // For the test hook: how many mappings and bytes are pooled, and how many
  // results reused one.
  void Stats(std::size_t* count, std::size_t* bytes, std::size_t* reused) {
    std::lock_guard<std::mutex> lock(mu_);
    *count = free_.size();
    *bytes = bytes_;
    *reused = reused_;
  }

 private:
  struct Mapping {
    char* data;
    std::size_t mapped;
  };
  std::mutex mu_;
  std::vector<Mapping> free_;
  std::size_t bytes_ = 0;
  std::size_t reused_ = 0;
  bool closed_ = false;
  bool accepting_ = true;
};

namespace {

// What an external result's finalizer needs: its mapping's size and the pool
// to return it to (shared: the pool outlives its environment's cleanup hook
// for as long as a result still holds it).
struct LentMapping {
  std::shared_ptr<ResultPool> pool;
  std::size_t mapped = 0;
};

void ClosePool(void* arg) {
  std::unique_ptr<std::shared_ptr<ResultPool>> pool(
      static_cast<std::shared_ptr<ResultPool>*>(arg));
  (*pool)->Close();
}

// This environment's pool, made with its first large result.
std::shared_ptr<ResultPool> PoolOf(napi_env env) {
  AddonData* data = GetData(Napi::Env(env));
  if (!data) return nullptr;
  if (!data->redact_results) {
    auto pool = std::make_shared<ResultPool>();
    auto hook = std::make_unique<std::shared_ptr<ResultPool>>(pool);
    if (napi_add_env_cleanup_hook(env, ClosePool, hook.get()) != napi_ok) {
      return nullptr;
    }
    hook.release();  // the hook owns it now
    data->redact_results = std::move(pool);
  }
  return data->redact_results;
}

// The host has gone back to small texts: the memory of past large results
// is not kept for ever.
void DrainPool(napi_env env) noexcept {
  void* raw = nullptr;
  if (napi_get_instance_data(env, &raw) != napi_ok || !raw) return;
  const auto& pool = static_cast<AddonData*>(raw)->redact_results;
  if (!pool) return;
  const std::size_t bytes = pool->Drain();
  std::int64_t unused = 0;
  if (bytes) {
    napi_adjust_external_memory(env, -static_cast<std::int64_t>(bytes),
                                &unused);
  }
}

void Unmap(napi_env env, void* data, std::size_t mapped) {
  munmap(data, mapped);
  if (env) {
    std::int64_t unused = 0;
    napi_adjust_external_memory(env, -static_cast<std::int64_t>(mapped),
                                &unused);
  }
}

// V8 is done with an external result (or copied it at once). The memory
// holds scrubbed text only: it goes back to the pool, or is unmapped,
// without a wipe. `env` is null when the environment is being torn down.
void FreeExternal(napi_env env, void* data, void* hint) {
  std::unique_ptr<LentMapping> lent(static_cast<LentMapping*>(hint));
  if (!lent->pool->Give(static_cast<char*>(data), lent->mapped)) {
    Unmap(env, data, lent->mapped);
  }
}

// The scrubbed text as an external string, rendered straight into its
// memory; nullptr when that path is not available (then the caller makes a
// plain string). `size` is RenderedSize(text, spans), an ASCII result's.
napi_value ExternalResult(napi_env env, std::string_view text,
                          const std::vector<Redactor::Span>& spans,
                          std::size_t size) {
  const CreateExternalLatin1 create = ExternalLatin1();
  if (!create || size < kExternalMin) return nullptr;
  std::shared_ptr<ResultPool> pool = PoolOf(env);
  if (!pool) return nullptr;
  auto lent = std::make_unique<LentMapping>();
  lent->pool = pool;
  char* buf = pool->Take(size, &lent->mapped);
  if (!buf) {
    if (!(buf = MapHuge(size, &lent->mapped))) return nullptr;
    std::int64_t unused = 0;
    napi_adjust_external_memory(env, static_cast<std::int64_t>(lent->mapped),
                                &unused);
  }
  // The result is scrubbed text: nothing here needs a wipe. The copy of the
  // input is wiped by WipeInput, as for every call. Written on two threads
  // (each faults in and fills half of a fresh mapping).
  Redactor::RenderIntoOnTwoThreads(text, spans, buf);
  napi_value result = nullptr;
  bool copied = false;
  LentMapping* hint = lent.get();
  if (create(env, buf, size, FreeExternal, hint, &result, &copied) != napi_ok) {
    FreeExternal(env, buf, lent.release());  // not taken
    return nullptr;
  }
  lent.release();  // the string owns it now (or it was freed if copied)
  return result;
}

// The result of a call that changed `text`.
napi_value MakeResult(napi_env env, Scratch& s, std::string_view text,
                      bool ascii) {
  napi_value result = nullptr;
  const std::size_t size = Redactor::RenderedSize(text, s.spans);
  // The marker is ASCII: an ASCII text's result is too.
  if (size >= kExternalMin && ascii &&
      (result = ExternalResult(env, text, s.spans, size))) {
    return result;
  }
  Redactor::Render(text, s.spans, &s.out);
  const std::string_view out = s.out;
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
  const RedactBinding& binding = *static_cast<RedactBinding*>(data);
  const Instance& instance = *binding.instance;
  try {
    WipeInput wipe{env, *binding.scratch};
    std::size_t len = 0;
    bool ascii = false;
    const napi_status st = ReadText(env, text, wipe, &len, &ascii);
    if (st == napi_string_expected) {
      ThrowTextType(env);
      return nullptr;
    }
    if (st != napi_ok) {
      Napi::Error::New(Napi::Env(env)).ThrowAsJavaScriptException();
      return nullptr;
    }
    Scratch& s = wipe.s;
    const std::string_view in(s.in.get(), len);
    s.spans.clear();
    instance.redactor().FindSpansOnTwoThreads(in, &s.spans, &s.workspace);
    if (s.spans.empty()) return text;  // unchanged: the same string, no copy
    napi_value result = MakeResult(env, s, in, ascii);
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

RedactStats GetRedactStats(napi_env env) {
  RedactStats stats;
  AddonData* data = GetData(Napi::Env(env));
  if (data && data->redact_scratch) {
    stats.scratch_bytes = data->redact_scratch->cap;
  }
  if (data && data->redact_results) {
    data->redact_results->Stats(&stats.pooled, &stats.pooled_bytes,
                                &stats.reused);
  }
  return stats;
}

void DefineRedact(Napi::Env env, Napi::Object self,
                  std::shared_ptr<Instance> instance) {
  // Set by the module's Init before any Sidecar exists (as for the work
  // pool, Sidecar::HostStoreFromJs).
  AddonData* data = GetData(env);
  if (!data->redact_scratch) data->redact_scratch = std::make_shared<Scratch>();
  auto binding = std::make_unique<RedactBinding>();
  binding->instance = std::move(instance);
  binding->scratch = data->redact_scratch;
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
