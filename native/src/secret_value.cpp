#include "keyref/secret_value.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace keyref {
namespace {

std::size_t PageSize() {
  static const std::size_t page = [] {
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<std::size_t>(p) : std::size_t{4096};
  }();
  return page;
}

std::size_t RoundUp(std::size_t n) {
  std::size_t page = PageSize();
  return (n + page - 1) / page * page;
}

// Single pages that held a secret, already zeroed, kept mapped, locked and
// excluded from dumps for the next small secret: mmap + madvise + mlock +
// munlock + munmap per value cost tens of microseconds on every request.
// Process-wide on purpose (pages are a process resource) and bounded; it
// never holds a secret: a page is zeroed before it enters the pool.
class PagePool {
 public:
  static PagePool& Get() {
    // Leaked on purpose: SecretValues may be destroyed during static
    // destruction (thread exit, atexit), after a pool object would be gone.
    static PagePool* pool = new PagePool();
    return *pool;
  }

  struct Page {
    char* data;
    bool locked;
    bool dump_excluded;
  };

  bool Take(Page* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return false;
    *out = free_.back();
    free_.pop_back();
    return true;
  }

  // Takes a zeroed page; false when the pool is full (the caller unmaps).
  bool Give(const Page& page) noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() >= kMaxPages) return false;
    try {
      free_.push_back(page);
    } catch (...) {
      return false;
    }
    return true;
  }

 private:
  static constexpr std::size_t kMaxPages = 64;  // 256 KiB locked at most
  std::mutex mu_;
  std::vector<Page> free_;
};

}  // namespace

void SecureZero(void* p, std::size_t size) noexcept {
  if (p && size) explicit_bzero(p, size);
}

SecretValue SecretValue::FromBytes(const char* data, std::size_t size) {
  SecretValue v;
  v.Append(data, size);
  return v;
}

SecretValue::SecretValue(SecretValue&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      dirty_(std::exchange(other.dirty_, 0)),
      locked_(std::exchange(other.locked_, false)),
      dump_excluded_(std::exchange(other.dump_excluded_, false)) {}

SecretValue& SecretValue::operator=(SecretValue&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    dirty_ = std::exchange(other.dirty_, 0);
    locked_ = std::exchange(other.locked_, false);
    dump_excluded_ = std::exchange(other.dump_excluded_, false);
  }
  return *this;
}

SecretValue::~SecretValue() { Wipe(); }

void SecretValue::Wipe() noexcept {
  if (!data_) return;
  // Every byte ever written, not only size_ (the whole mapping would be
  // correct too, but zeroing a 4 KiB page per value cost more than the rest
  // of a cached resolution): pooled pages must come back all zero.
  SecureZero(data_, dirty_);
  bool pooled = capacity_ == PageSize() &&
                PagePool::Get().Give({data_, locked_, dump_excluded_});
  if (!pooled) {
    if (locked_) munlock(data_, capacity_);
    munmap(data_, capacity_);
  }
  data_ = nullptr;
  size_ = capacity_ = dirty_ = 0;
  locked_ = dump_excluded_ = false;
}

void SecretValue::Reserve(std::size_t capacity) {
  if (capacity <= capacity_) return;
  std::size_t bytes = RoundUp(capacity);
  char* fresh = nullptr;
  bool locked = false;
  bool dump_excluded = false;
  PagePool::Page page;
  if (bytes == PageSize() && PagePool::Get().Take(&page)) {
    fresh = page.data;  // zeroed when it was given back
    locked = page.locked;
    dump_excluded = page.dump_excluded;
  } else {
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) throw std::bad_alloc();
    fresh = static_cast<char*>(mem);
    // Both are best effort: RLIMIT_MEMLOCK may be small (the owner logs it).
    dump_excluded = madvise(fresh, bytes, MADV_DONTDUMP) == 0;
    locked = mlock(fresh, bytes) == 0;
  }
  if (size_) std::memcpy(fresh, data_, size_);
  std::size_t keep = size_;
  Wipe();  // the old pages are zeroed before they are returned
  data_ = fresh;
  size_ = keep;
  dirty_ = keep;
  capacity_ = bytes;
  locked_ = locked;
  dump_excluded_ = dump_excluded;
}

void SecretValue::Append(const char* data, std::size_t size) {
  if (size == 0) return;
  if (size_ + size > capacity_) {
    std::size_t want = capacity_ ? capacity_ * 2 : size;
    if (want < size_ + size) want = size_ + size;
    Reserve(want);
  }
  std::memcpy(data_ + size_, data, size);
  size_ += size;
  if (size_ > dirty_) dirty_ = size_;
}

void SecretValue::Truncate(std::size_t size) noexcept {
  if (size >= size_) return;
  SecureZero(data_ + size, size_ - size);
  size_ = size;
}

SecretValue SecretValue::Clone() const { return FromBytes(data_, size_); }

bool SecretValue::Equals(const SecretValue& other) const noexcept {
  if (size_ != other.size_) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    diff |= static_cast<unsigned char>(data_[i] ^ other.data_[i]);
  }
  return diff == 0;
}

}  // namespace keyref
