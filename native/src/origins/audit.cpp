// The audit trail (audit.h, docs/origins.md "The audit trail"). Lines are
// built from fields that hold no secret by construction (a ref, a
// fingerprint, an origin, a path without query, codes and numbers); the
// Instance also scrubs them with its redactor before they get here.
#include "keyref/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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

// Reads every audit line of one file (missing file: none).
void ReadLines(const std::string& path, std::vector<AuditRecord>* out) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    AuditRecord r;
    if (AuditRecordFromJson(line, &r)) out->push_back(std::move(r));
  }
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
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  options_ = std::move(options);
  if (options_.path.empty()) return {};
  // 0600 from the start (no window in which another user could open it);
  // O_NOFOLLOW: a symlink planted at the path is refused, not followed.
  int fd = ::open(options_.path.c_str(),
                  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("open", options_.path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != ::geteuid()) {
    ::close(fd);
    return IoError("use (not a regular file you own)", options_.path);
  }
  if ((st.st_mode & 0077) != 0) ::fchmod(fd, 0600);
  fd_ = fd;
  size_ = static_cast<std::uint64_t>(st.st_size);
  // Seed the in-memory tail (describe()'s lastUsedAt) from the file.
  std::vector<AuditRecord> old;
  for (int i = options_.max_files; i >= 1; --i) {
    ReadLines(Rotated(options_.path, i), &old);
  }
  ReadLines(options_.path, &old);
  std::size_t from =
      old.size() > kMemoryRecords ? old.size() - kMemoryRecords : 0;
  memory_.assign(old.begin() + static_cast<std::ptrdiff_t>(from), old.end());
  return {};
}

bool AuditLog::has_file() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fd_ >= 0;
}

Status AuditLog::RotateLocked() {
  ::close(fd_);
  fd_ = -1;
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
  int fd = ::open(options_.path.c_str(),
                  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("reopen", options_.path);
  fd_ = fd;
  size_ = 0;
  return {};
}

Status AuditLog::Append(const AuditRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  memory_.push_back(record);
  if (memory_.size() > kMemoryRecords) memory_.pop_front();
  if (fd_ < 0) return {};
  std::string line = AuditRecordToJson(record);
  line.push_back('\n');
  if (size_ > 0 && size_ + line.size() > options_.max_bytes) {
    if (Status st = RotateLocked(); !st) return st;
  }
  // One write() per line on an O_APPEND descriptor: lines from several
  // threads (and processes sharing the file) never interleave.
  ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    return IoError("write", options_.path);
  }
  size_ += line.size();
  return {};
}

Result<std::vector<AuditRecord>> AuditLog::Tail(std::size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AuditRecord> out;
  if (fd_ < 0) {
    std::size_t from = memory_.size() > n ? memory_.size() - n : 0;
    out.assign(memory_.begin() + static_cast<std::ptrdiff_t>(from),
               memory_.end());
    return out;
  }
  // Newest file first, until n records are had.
  std::vector<std::vector<AuditRecord>> files;
  std::size_t have = 0;
  for (int i = 0; i <= options_.max_files && have < n; ++i) {
    std::vector<AuditRecord> recs;
    ReadLines(i == 0 ? options_.path : Rotated(options_.path, i), &recs);
    have += recs.size();
    files.push_back(std::move(recs));
  }
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    out.insert(out.end(), it->begin(), it->end());
  }
  if (out.size() > n)
    out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(n));
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
