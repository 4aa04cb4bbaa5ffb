// The audit trail (audit.h, docs/origins.md "The audit trail"). Lines are
// built from fields that hold no secret by construction (a ref, a
// fingerprint, an origin, a path without query, codes and numbers); the
// Instance also scrubs them with its redactor before they get here.
//
// Several writers may share one file (two Sidecars in one extension host,
// two VS Code windows with the same setting): each append and rotation
// happens under flock(2) on a lock file next to it, and each writer checks
// before it writes that its descriptor is still the file at the path. A
// writer that kept its own descriptor and byte count went on appending to
// a file another writer had renamed to path.1, and after a second rotation
// to one it had unlinked: those lines were lost, and audit() (which reads
// by path) missed them too.
#include "keyref/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>

#include "keyref/file_lock.h"

namespace keyref {
namespace {

std::string IsoTime(std::int64_t ms) {
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

bool ParseIsoTime(const std::string& text, std::int64_t* ms) {
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year,
                  &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                  &millis) != 7) {
    return false;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *ms = static_cast<std::int64_t>(timegm(&tm)) * 1000 + millis;
  return true;
}

Error IoError(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kInternal,
               "Cannot " + what + " the audit file " + path + ".",
               "Check that its folder exists and is writable by you.");
}

std::string Rotated(const std::string& path, int i) {
  return path + "." + std::to_string(i);
}

std::string LockPath(const std::string& path) { return path + ".lock"; }

// Opens (creates 0600) the audit file at `path` for appending. 0600 from
// the start (no window in which another user could open it); O_NOFOLLOW: a
// symlink planted at the path is refused, not followed; a file that is not
// a regular file of ours is refused too.
Result<int> OpenAuditFile(const std::string& path, const char* what) {
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError(what, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != ::geteuid()) {
    ::close(fd);
    return IoError("use (not a regular file you own)", path);
  }
  if ((st.st_mode & 0077) != 0) ::fchmod(fd, 0600);
  return fd;
}

// Cuts `field` to AuditLog::kMaxFieldBytes: back to the start of a UTF-8
// character (at most three continuation bytes), then "…" to show the cut.
void CapField(std::string* field) {
  constexpr std::size_t kMax = AuditLog::kMaxFieldBytes;
  if (field->size() <= kMax) return;
  std::size_t end = kMax - 3;  // room for the three bytes of "…"
  for (int i = 0;
       i < 3 && (static_cast<unsigned char>((*field)[end]) & 0xC0) == 0x80;
       ++i) {
    --end;
  }
  field->resize(end);
  *field += "\xE2\x80\xA6";
}

// The most read from one file: a file of ours holds at most max_bytes plus
// one line (a few KiB, CapField), so twice that plus 64 KiB is ample, and a
// file grown past it by hand costs a bounded read, not all of memory.
std::uint64_t ReadCap(const AuditOptions& options) {
  return 2 * options.max_bytes + (64u << 10);
}

// Reads the audit lines of one file (missing file: none). Rotated files sit
// in a folder others may write: a FIFO planted there would block the read
// (Open runs on the JavaScript thread), a symlink to /dev/zero would never
// end. So: never through a symlink, never blocking, only a regular file of
// ours, and at most `cap` bytes. False when a file there was skipped.
bool ReadLines(const std::string& path, std::uint64_t cap,
               std::vector<AuditRecord>* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != ::geteuid()) {
    ::close(fd);
    return false;
  }
  std::string text;
  char buf[1 << 16];
  while (text.size() < cap) {
    const std::size_t want =
        std::min<std::uint64_t>(sizeof buf, cap - text.size());
    ssize_t got = ::read(fd, buf, want);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    text.append(buf, static_cast<std::size_t>(got));
  }
  ::close(fd);
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    AuditRecord r;
    if (AuditRecordFromJson(std::string_view(text).substr(start, nl - start),
                            &r)) {
      out->push_back(std::move(r));
    }
  }
  // A last line without its newline: a whole record (a writer's line is one
  // write()) unless the cap cut it, when it does not parse.
  AuditRecord r;
  if (start < text.size() &&
      AuditRecordFromJson(std::string_view(text).substr(start), &r)) {
    out->push_back(std::move(r));
  }
  return true;
}

std::string SkippedMessage(const std::string& path) {
  return "An audit file next to " + path +
         " was skipped: it is not a regular file of yours.";
}

}  // namespace

std::string AuditRecordToJson(const AuditRecord& r) {
  nlohmann::ordered_json j;
  j["time"] = IsoTime(r.time_ms);
  if (!r.ref.empty()) j["ref"] = r.ref;
  if (!r.fingerprint.empty()) j["fingerprint"] = r.fingerprint;
  j["provider"] = r.provider;
  j["origin"] = r.origin;
  j["method"] = r.method;
  j["path"] = r.path;
  if (r.error_code.empty()) {
    j["status"] = r.status;
  } else {
    j["error"] = r.error_code;
  }
  j["durationMs"] =
      static_cast<double>(static_cast<std::int64_t>(r.duration_ms * 10 + 0.5)) /
      10;
  j["bytesSent"] = r.bytes_sent;
  j["bytesReceived"] = r.bytes_received;
  // Invalid UTF-8 (it cannot come from a ref or a checked path) is
  // replaced rather than thrown on.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool AuditRecordFromJson(std::string_view line, AuditRecord* out) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>()
                                            : std::string();
  };
  AuditRecord r;
  if (!ParseIsoTime(str("time"), &r.time_ms)) return false;
  r.ref = str("ref");
  r.fingerprint = str("fingerprint");
  r.provider = str("provider");
  r.origin = str("origin");
  r.method = str("method");
  r.path = str("path");
  r.error_code = str("error");
  r.status = j.value("status", 0);
  r.duration_ms = j.value("durationMs", 0.0);
  r.bytes_sent = j.value("bytesSent", std::uint64_t{0});
  r.bytes_received = j.value("bytesReceived", std::uint64_t{0});
  *out = std::move(r);
  return true;
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status AuditLog::Open(AuditOptions options) {
  std::unique_lock<std::mutex> lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  file_ = false;
  options_ = std::move(options);
  if (options_.path.empty()) return {};
  Result<int> fd = OpenAuditFile(options_.path, "open");
  if (!fd) return std::move(fd).error();
  // The lock file is made (or checked) now: a lock path that cannot be
  // used (a symlink or a folder planted there) is refused here rather than
  // costing every line later. Another writer holding the lock is fine, and
  // is not waited for: Open runs on the JavaScript thread.
  Result<std::unique_ptr<ExclusiveFileLock>> file_lock =
      ExclusiveFileLock::Take(LockPath(options_.path),
                              std::chrono::milliseconds{0});
  if (!file_lock && file_lock.error().code != ErrorCode::kSourceTimeout) {
    ::close(fd.value());
    return Error(ErrorCode::kInternal,
                 "Cannot lock the audit file " + options_.path + ": " +
                     file_lock.error().message,
                 file_lock.error().hint);
  }
  fd_ = fd.value();
  file_ = true;
  backoff_until_ = {};
  lost_ = 0;
  skip_warned_ = false;
  // Seed the in-memory tail (describe()'s lastUsedAt) from the file.
  std::vector<AuditRecord> old;
  bool skipped = false;
  for (int i = options_.max_files; i >= 0; --i) {
    skipped |= !ReadLines(i == 0 ? options_.path : Rotated(options_.path, i),
                          ReadCap(options_), &old);
  }
  std::size_t from =
      old.size() > kMemoryRecords ? old.size() - kMemoryRecords : 0;
  memory_.assign(old.begin() + static_cast<std::ptrdiff_t>(from), old.end());
  if (skipped && options_.warn) {
    skip_warned_ = true;
    std::function<void(const std::string&)> warn = options_.warn;
    const std::string message = SkippedMessage(options_.path);
    lock.unlock();
    warn(message);
  }
  return {};
}

bool AuditLog::has_file() const {
  std::lock_guard<std::mutex> lock(mu_);
  return file_;
}

Status AuditLog::ReopenIfMovedLocked() {
  // The same inode on the same device: still the file at the path. Else
  // another writer rotated it (our descriptor is now path.1, or unlinked),
  // the path was removed by hand, or our own last reopen failed (fd_ -1):
  // open what is at the path now, creating it if need be.
  struct stat mine {};
  struct stat there {};
  if (fd_ >= 0 && ::fstat(fd_, &mine) == 0 &&
      ::lstat(options_.path.c_str(), &there) == 0 &&
      mine.st_ino == there.st_ino && mine.st_dev == there.st_dev) {
    return {};
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  Result<int> fd = OpenAuditFile(options_.path, "reopen");
  if (!fd) return std::move(fd).error();
  fd_ = fd.value();
  return {};
}

Status AuditLog::RotateLocked() {
  ::close(fd_);
  fd_ = -1;
  // Under the file lock: no other writer renames at the same time, and
  // each notices the new file before its next line (ReopenIfMovedLocked).
  if (options_.max_files <= 0) {
    ::unlink(options_.path.c_str());
  } else {
    ::unlink(Rotated(options_.path, options_.max_files).c_str());
    for (int i = options_.max_files - 1; i >= 1; --i) {
      ::rename(Rotated(options_.path, i).c_str(),
               Rotated(options_.path, i + 1).c_str());
    }
    ::rename(options_.path.c_str(), Rotated(options_.path, 1).c_str());
  }
  Result<int> fd = OpenAuditFile(options_.path, "reopen");
  if (!fd) return std::move(fd).error();
  fd_ = fd.value();
  return {};
}

std::string AuditLog::TakeLossReportLocked() {
  if (lost_ == 0) return "";
  std::string report = std::to_string(lost_) + " audit line" +
                       (lost_ == 1 ? " was" : "s were") + " not written to " +
                       options_.path +
                       ": another writer of the file kept its lock.";
  lost_ = 0;
  return report;
}

Status AuditLog::Append(AuditRecord record) {
  for (std::string* f :
       {&record.ref, &record.fingerprint, &record.provider, &record.origin,
        &record.method, &record.path, &record.error_code}) {
    CapField(f);
  }
  std::string path;
  std::chrono::milliseconds wait{0};
  std::function<void(const std::string&)> warn;
  std::string report;
  {
    std::lock_guard<std::mutex> lock(mu_);
    memory_.push_back(record);
    if (memory_.size() > kMemoryRecords) memory_.pop_front();
    if (!file_) return {};
    path = options_.path;
    warn = options_.warn;
    // In a back-off, only try the lock: a holder that kept it past one
    // wait (a stopped process) would otherwise cost every request a wait.
    if (std::chrono::steady_clock::now() >= backoff_until_) {
      wait = options_.lock_wait;
      report = TakeLossReportLocked();  // the last back-off period is over
    }
  }
  if (!report.empty() && warn) warn(report);
  std::string line = AuditRecordToJson(record);
  line.push_back('\n');
  // The wait happens without mu_: other requests (each with its own open of
  // the lock file, which flock keeps apart even within one process),
  // LastUsed and Tail go on meanwhile. Bounded: a writer that keeps the
  // lock longer costs this line, never the request. flock is dropped when
  // its holder dies, so there is no stale lock to break.
  Result<std::unique_ptr<ExclusiveFileLock>> file_lock =
      ExclusiveFileLock::Take(LockPath(path), wait);
  std::lock_guard<std::mutex> lock(mu_);
  if (!file_lock) {
    const bool timed_out = file_lock.error().code == ErrorCode::kSourceTimeout;
    if (timed_out) {
      ++lost_;
      if (wait.count() > 0) {
        backoff_until_ = std::chrono::steady_clock::now() + kLockBackoff;
      }
    }
    return Error(
        ErrorCode::kInternal,
        "An audit line was not written to " + path + ": " +
            (!timed_out ? file_lock.error().message
             : wait.count() > 0
                 ? "another writer of the file kept its lock longer than " +
                       std::to_string(wait.count()) + " ms; for the next " +
                       std::to_string(kLockBackoff.count()) +
                       " s lines are written only when it is free."
                 : "another writer of the file holds its lock (not waited "
                   "for: a wait timed out a moment ago)."),
        timed_out ? "Look for a stopped process that writes the "
                    "same audit file."
                  : file_lock.error().hint);
  }
  // The lock came free: a stuck holder is gone, the next wait is full.
  backoff_until_ = {};
  // Open() ran meanwhile, for another file or none: this line was for the
  // old one, and is not written to the new one.
  if (!file_ || options_.path != path) return {};
  if (Status st = ReopenIfMovedLocked(); !st) return st;
  // The size of the file as it is, whoever wrote it: no counter of our own.
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return IoError("measure", options_.path);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > 0 && size + line.size() > options_.max_bytes) {
    if (Status rotated = RotateLocked(); !rotated) return rotated;
  }
  // One write() per line on an O_APPEND descriptor, under the lock: lines
  // from several threads and processes never interleave.
  ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    return IoError("write", options_.path);
  }
  return {};
}

Result<std::vector<AuditRecord>> AuditLog::Tail(std::size_t n) {
  AuditOptions options;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!file_) {
      std::size_t from = memory_.size() > n ? memory_.size() - n : 0;
      return std::vector<AuditRecord>(
          memory_.begin() + static_cast<std::ptrdiff_t>(from), memory_.end());
    }
    options = options_;
    // In a back-off the lock is only tried, as an append does.
    if (std::chrono::steady_clock::now() < backoff_until_) {
      options.lock_wait = std::chrono::milliseconds{0};
    }
  }
  return ReadTail(options, n);
}

std::vector<AuditRecord> AuditLog::ReadTail(const AuditOptions& options,
                                            std::size_t n) {
  // Under the writers' lock, so that no rotation moves a file between two
  // reads (a line read twice or not at all). Without it (another writer
  // keeps it), read anyway: a rotation in between is rare, and an answer
  // beats none. Not under mu_: appends go on while this waits and reads.
  Result<std::unique_ptr<ExclusiveFileLock>> file_lock =
      ExclusiveFileLock::Take(LockPath(options.path), options.lock_wait);
  // Newest file first, until n records are had.
  std::vector<std::vector<AuditRecord>> files;
  std::size_t have = 0;
  bool skipped = false;
  for (int i = 0; i <= options.max_files && have < n; ++i) {
    std::vector<AuditRecord> recs;
    skipped |= !ReadLines(i == 0 ? options.path : Rotated(options.path, i),
                          ReadCap(options), &recs);
    have += recs.size();
    files.push_back(std::move(recs));
  }
  std::vector<AuditRecord> out;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    out.insert(out.end(), it->begin(), it->end());
  }
  if (out.size() > n)
    out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(n));
  if (skipped && options.warn) {
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      first = !skip_warned_;
      skip_warned_ = true;
    }
    if (first) options.warn(SkippedMessage(options.path));
  }
  return out;
}

std::int64_t AuditLog::LastUsed(std::string_view ref) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = memory_.rbegin(); it != memory_.rend(); ++it) {
    if (it->ref == ref && it->error_code.empty()) return it->time_ms;
  }
  return 0;
}

}  // namespace keyref
