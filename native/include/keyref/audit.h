// The audit trail: one JSON line per request that names a key, for the
// person who must answer "which key went where, when" after an incident.
// docs/origins.md, "The audit trail".
//
// A line holds the time, the ref, the key's fingerprint, the provider, the
// origin, the method, the path without its query, the status or error code,
// the duration and the byte counts. Never the key, a header value, a body or
// a query string. The file is created 0600 and rotated by size; several
// AuditLogs (two Sidecars, two extension hosts) may share it: every append
// and rotation happens under flock(2) on `path + ".lock"`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "keyref/error.h"

namespace keyref {

struct AuditRecord {
  std::int64_t time_ms = 0;  // Unix time the request started
  std::string ref;           // the apiKeyRef (a name, never the key); ""
                             // for providers that take no key
  std::string fingerprint;   // "" when the key was not resolved
  std::string provider;
  std::string origin;  // "https://host:port"
  std::string method;
  std::string path;  // base path + request path, never a query
  int status = 0;    // the HTTP status, or 0 with error_code
  std::string error_code;
  double duration_ms = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

// One line (no trailing newline).
std::string AuditRecordToJson(const AuditRecord& record);
// Parses a line; false when it is not an audit record.
bool AuditRecordFromJson(std::string_view line, AuditRecord* out);

struct AuditOptions {
  std::string path;                     // "" = no file
  std::uint64_t max_bytes = 10u << 20;  // rotate when a line would pass it
  int max_files = 5;                    // rotated files kept (path.1 …)
  // How long an append waits for another writer's lock (file_lock.h)
  // before it gives up on the line: the request being audited waits too.
  // After a wait that timed out, appends do not wait again for
  // AuditLog::kLockBackoff (they write only when the lock is free).
  std::chrono::milliseconds lock_wait{500};
  // Told (never with a value) how many lines a lock held elsewhere cost,
  // once per back-off period, and, once, that a rotated file was skipped
  // as not a regular file of ours. May be empty. Called with no lock held.
  std::function<void(const std::string&)> warn;
};

// Appends records to the file (when configured) and keeps the last
// kMemoryRecords in memory. Thread-safe.
class AuditLog {
 public:
  static constexpr std::size_t kMemoryRecords = 1000;
  // Each text field of a record is cut to this many bytes (at a UTF-8
  // boundary, then "…" added), so that one line stays far below a small
  // max_bytes and the memory tail is bounded in bytes, not only in count.
  static constexpr std::size_t kMaxFieldBytes = 1024;
  // After a wait for the lock timed out, appends in the next kLockBackoff
  // only try it: a stuck holder costs one wait, not one per request.
  static constexpr std::chrono::seconds kLockBackoff{5};
  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Opens (creates 0600) the file. IO errors are INTERNAL with the path.
  Status Open(AuditOptions options);
  bool has_file() const;

  // Writes one line (its fields cut to kMaxFieldBytes), under the lock
  // shared with every other writer of the file, to the file now at the
  // path (reopened when another writer rotated it). A failure (the lock
  // not had within lock_wait, or not free during a back-off; a write
  // error) loses this line only: it is reported through the return value
  // and never stops the request that is being audited. The record is kept
  // in memory either way. The wait for the lock happens without mu_ held,
  // so other requests, LastUsed and Tail do not queue behind it.
  Status Append(AuditRecord record);

  // The last `n` records, oldest first: from the file and its rotated
  // predecessors when there is a file, else from memory. A file that is
  // not a regular file of ours is skipped (never followed, never blocked
  // on), and at most 2 × max_bytes + 64 KiB of each is read.
  Result<std::vector<AuditRecord>> Tail(std::size_t n);

  // The newest time_ms for `ref` among the records kept in memory (0 when
  // none): describe()'s lastUsedAt.
  std::int64_t LastUsed(std::string_view ref);

 private:
  // Both called with mu_ and the file lock held.
  Status ReopenIfMovedLocked();
  Status RotateLocked();
  // Called with mu_ held: the report of lines lost since the last one
  // ("" when none), and the count reset.
  std::string TakeLossReportLocked();
  // Reads the files' records, oldest first, until `n` are had (mu_ not
  // held; the file lock when it could be had).
  std::vector<AuditRecord> ReadTail(const AuditOptions& options, std::size_t n);

  mutable std::mutex mu_;
  AuditOptions options_;
  bool file_ = false;  // Open succeeded with a path
  int fd_ = -1;        // the file at options_.path when last looked; -1
                       // after a failed reopen (tried again next append)
  std::deque<AuditRecord> memory_;
  // No wait for the lock before this (steady clock), after one timed out.
  std::chrono::steady_clock::time_point backoff_until_{};
  std::uint64_t lost_ = 0;    // lines lost to a held lock, not yet reported
  bool skip_warned_ = false;  // a skipped rotated file was reported
};

}  // namespace keyref
