// Logging on spdlog. One spdlog logger per instance (never registered in
// spdlog's global registry), whose only sink is a RedactingSink: it scrubs
// each line with the instance's Redactor and only then hands it to the real
// sinks (host callback, stderr, rotating file). A call site that forgets to
// redact cannot leak, because no sink is reachable except through it.
#include "keyref/log.h"

#include <fcntl.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "keyref/redactor.h"

namespace keyref {
namespace {

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::off;
}

LogLevel FromSpd(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return LogLevel::kTrace;
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarn;
    default:
      return LogLevel::kError;
  }
}

// Delivers the (already redacted) message text to the host's callback.
class HostCallbackSink
    : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit HostCallbackSink(Logger::HostSink fn) : fn_(std::move(fn)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    try {
      fn_(FromSpd(msg.level),
          std::string(msg.payload.data(), msg.payload.size()));
    } catch (...) {
      // The host callback must never take a native worker down.
    }
  }
  void flush_() override {}

 private:
  Logger::HostSink fn_;
};

enum Slot { kHostSlot = 0, kStderrSlot, kFileSlot, kSlots };

// The sink every line goes through. Holds the real sinks; the base_sink
// mutex serialises lines, so each real sink sees them in one order.
class RedactingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(const Redactor& redactor) : redactor_(redactor) {}

  void SetChild(Slot slot, std::shared_ptr<spdlog::sinks::sink> child) {
    std::shared_ptr<spdlog::sinks::sink> old;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      old = std::move(children_[slot]);
      children_[slot] = std::move(child);
    }
    // `old` (e.g. the host bridge) is released outside the lock.
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string scrubbed;
    spdlog::details::log_msg out(msg);
    if (redactor_.Scrub(payload, &scrubbed)) {
      out.payload = spdlog::string_view_t(scrubbed.data(), scrubbed.size());
    }
    for (auto& child : children_) {
      if (child && child->should_log(out.level)) child->log(out);
    }
  }
  void flush_() override {
    for (auto& child : children_) {
      if (child) child->flush();
    }
  }

 private:
  const Redactor& redactor_;
  std::array<std::shared_ptr<spdlog::sinks::sink>, kSlots> children_;
};

void AppendMs(std::string* line, const char* name, double ms) {
  if (ms < 0) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, " %s=%.1fms", name, ms);
  line->append(buf);
}

void AppendHeaderNames(std::string* line, const char* label,
                       const RequestLog::Headers* headers) {
  if (!headers || headers->empty()) return;
  line->append(" ").append(label).append("=[");
  for (std::size_t i = 0; i < headers->size(); ++i) {
    if (i) line->append(",");
    line->append((*headers)[i].first);
  }
  line->append("]");
}

// The log file may hold prompts and answers (logBodies), so it is kept like
// the profiles and exports (docs/threat-model.md, "Export gate, log file,
// test hooks"): its folder must be a real folder (not a symbolic link) of the
// user's that group and others cannot write to, so nobody else can swap the
// file for a link; the file is created 0600 before spdlog opens it.
Status CheckLogFolder(const std::string& path) {
  std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  auto refused = [&](const char* why, const char* hint) {
    return Error(
        ErrorCode::kInternal,
        "The folder of the log file " + path + " is refused: " + why + ".",
        hint);
  };
  struct stat sb;
  if (lstat(dir.c_str(), &sb) != 0) {
    return refused("it does not exist", "Create it with mode 0700.");
  }
  if (S_ISLNK(sb.st_mode)) {
    return refused("it is a symbolic link",
                   "Give the real folder's path in logFile.path.");
  }
  if (!S_ISDIR(sb.st_mode)) {
    return refused("it is not a folder",
                   "Put the log file in a folder of your own.");
  }
  if (sb.st_uid != geteuid()) {
    return refused("it is not owned by you",
                   "Put the log file in a folder you own, mode 0700.");
  }
  if (sb.st_mode & 022) {
    return refused("group or others can write to it",
                   "Run chmod 700 on the folder, or use a folder of your own.");
  }
  return {};
}

// spdlog's before_open hook: creates the file (or each new file after a
// rotation) 0600 without following a symbolic link, so that spdlog's own
// fopen opens this file; an existing file is made 0600 too. Throws (spdlog
// reports it as a failed open) when it is not a regular file of the user's.
void CreatePrivateFile(const spdlog::filename_t& name) {
  int fd =
      open(name.c_str(),
           O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
           0600);
  if (fd < 0) throw spdlog::spdlog_ex("cannot create the log file", errno);
  struct stat sb;
  bool ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
            sb.st_uid == geteuid() && fchmod(fd, 0600) == 0;
  close(fd);
  if (!ok) throw spdlog::spdlog_ex("the log file is not a private file");
}

// The log file, on spdlog's rotating_file_sink. When a rotation fails half
// way (a rename refused on a read-only or vanished folder) and reopening
// the file fails too, spdlog 1.10 leaves that sink with no open file, and
// the next line short enough not to start another rotation is written to a
// null FILE*: the process crashed (docs/reliability.md, "Disk"). So a
// rotating sink that threw once is never used again: it is dropped, lines
// are lost quietly (the host callback still gets them), and a fresh one is
// opened for a later line, at most one try a second, which resumes the file
// once its folder is usable again. Serialised by RedactingSink's lock.
class FileSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  // Opens the file now; throws when it cannot.
  FileSink(std::string path, std::size_t max_bytes, std::size_t max_files)
      : path_(std::move(path)), max_bytes_(max_bytes), max_files_(max_files) {
    Open();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!file_ && !Reopen()) return;
    try {
      file_->log(msg);
    } catch (...) {
      Drop();
    }
  }
  void flush_() override {
    if (!file_) return;
    try {
      file_->flush();
    } catch (...) {
      Drop();
    }
  }

 private:
  using Clock = std::chrono::steady_clock;

  void Open() {
    spdlog::file_event_handlers handlers;
    handlers.before_open = CreatePrivateFile;
    auto s = std::make_shared<spdlog::sinks::rotating_file_sink_st>(
        path_, max_bytes_, max_files_, false, handlers);
    s->set_pattern("%Y-%m-%dT%H:%M:%S.%e [%l] [t%t] %v");
    file_ = std::move(s);
  }
  bool Reopen() {
    if (Clock::now() - dropped_at_ < std::chrono::seconds(1)) return false;
    try {
      Open();
      return true;
    } catch (...) {
      dropped_at_ = Clock::now();
      return false;
    }
  }
  void Drop() {
    file_.reset();
    dropped_at_ = Clock::now();
  }

  const std::string path_;
  const std::size_t max_bytes_;
  const std::size_t max_files_;
  std::shared_ptr<spdlog::sinks::sink> file_;
  Clock::time_point dropped_at_{};
};

}  // namespace

const char* LogLevelName(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "off";
}

bool LogLevelFromName(std::string_view name, LogLevel* out) noexcept {
  for (int i = 0; i <= static_cast<int>(LogLevel::kOff); ++i) {
    if (name == LogLevelName(static_cast<LogLevel>(i))) {
      *out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

struct Logger::State {
  explicit State(const Redactor& r)
      : sink(std::make_shared<RedactingSink>(r)),
        logger(std::make_shared<spdlog::logger>("keyref", sink)) {
    logger->set_level(spdlog::level::trace);  // filtering is Enabled()'s
    // spdlog's default error handler prints the failing message to stderr,
    // unredacted if a sink failed mid-line: drop it instead.
    logger->set_error_handler([](const std::string&) {});
    // Warnings and errors reach the file at once (a crash may follow).
    logger->flush_on(spdlog::level::warn);
  }
  std::shared_ptr<RedactingSink> sink;
  std::shared_ptr<spdlog::logger> logger;
  std::atomic<LogLevel> level{LogLevel::kInfo};
  std::atomic<bool> log_bodies{false};
};

Logger::Logger(const Redactor& redactor)
    : state_(std::make_unique<State>(redactor)) {}
Logger::~Logger() = default;

void Logger::SetLevel(LogLevel level) noexcept { state_->level = level; }
LogLevel Logger::level() const noexcept { return state_->level; }
bool Logger::Enabled(LogLevel level) const noexcept {
  return level != LogLevel::kOff && level >= state_->level.load();
}

void Logger::SetHostSink(HostSink sink) {
  state_->sink->SetChild(
      kHostSlot,
      sink ? std::make_shared<HostCallbackSink>(std::move(sink)) : nullptr);
}

void Logger::EnableStderr(bool on) {
  std::shared_ptr<spdlog::sinks::sink> s;
  if (on) {
    s = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    s->set_pattern("[keyref] [%l] %v");
  }
  state_->sink->SetChild(kStderrSlot, std::move(s));
}

Status Logger::EnableFile(const std::string& path, std::size_t max_bytes,
                          std::size_t max_files) {
  if (path.empty()) {
    state_->sink->SetChild(kFileSlot, nullptr);
    return {};
  }
  if (Status st = CheckLogFolder(path); !st) return st;
  try {
    state_->sink->SetChild(
        kFileSlot, std::make_shared<FileSink>(path, max_bytes, max_files));
  } catch (const std::exception&) {
    return Error(ErrorCode::kInternal, "Cannot open the log file " + path + ".",
                 "Check that its folder exists and is writable.");
  }
  return {};
}

void Logger::SetLogBodies(bool on) noexcept { state_->log_bodies = on; }
bool Logger::log_bodies() const noexcept { return state_->log_bodies; }

void Logger::Log(LogLevel level, std::string_view message) {
  if (!Enabled(level)) return;
  state_->logger->log(ToSpd(level),
                      spdlog::string_view_t(message.data(), message.size()));
}

void Logger::LogRequest(const RequestLog& r) {
  if (!Enabled(LogLevel::kTrace)) return;
  std::string line = "request ";
  line.append(r.method).append(" ").append(r.origin);
  std::size_t q = r.path.find('?');
  line.append(r.path.substr(0, q));
  if (q != std::string_view::npos) line.append("?…");  // query not logged
  line.append(" ref=").append(r.ref).append(" scheme=").append(r.scheme);
  if (r.status) line.append(" status=").append(std::to_string(r.status));
  if (!r.error_code.empty()) line.append(" error=").append(r.error_code);
  AppendMs(&line, "connect", r.connect_ms);
  AppendMs(&line, "ttfb", r.first_byte_ms);
  AppendMs(&line, "total", r.total_ms);
  line.append(" sent=").append(std::to_string(r.bytes_sent)).append("B");
  line.append(" received=")
      .append(std::to_string(r.bytes_received))
      .append("B");
  AppendHeaderNames(&line, "request-headers", r.request_headers);
  AppendHeaderNames(&line, "response-headers", r.response_headers);
  Log(LogLevel::kTrace, line);
  if (!log_bodies()) return;
  // logBodies: values and bodies, each line scrubbed by the sink chain.
  const std::pair<const char*, const RequestLog::Headers*> lists[] = {
      {"request", r.request_headers}, {"response", r.response_headers}};
  for (const auto& [dir, hs] : lists) {
    if (!hs) continue;
    for (const auto& [name, value] : *hs) {
      Log(LogLevel::kTrace,
          std::string(dir) + "-header " + name + ": " + value);
    }
  }
  if (!r.request_body.empty()) {
    Log(LogLevel::kTrace, "request-body " + std::string(r.request_body));
  }
  if (!r.response_body.empty()) {
    Log(LogLevel::kTrace, "response-body " + std::string(r.response_body));
  }
}

void Logger::Flush() { state_->logger->flush(); }

}  // namespace keyref
