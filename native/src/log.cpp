// Placeholder implementation: host sink and stderr without spdlog. Issue 5
// replaces it with spdlog sinks (host, stderr, rotating file).
#include "keyref/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "keyref/redactor.h"

namespace keyref {

const char* LogLevelName(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace: return "trace";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "off";
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
  explicit State(const Redactor& r) : redactor(r) {}
  const Redactor& redactor;
  std::atomic<LogLevel> level{LogLevel::kInfo};
  std::mutex mu;
  HostSink host;
  bool to_stderr = false;
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
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->host = std::move(sink);
}

void Logger::EnableStderr(bool on) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->to_stderr = on;
}

void Logger::Log(LogLevel level, std::string_view message) {
  if (!Enabled(level)) return;
  std::string line = state_->redactor.Redact(message);
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->host) state_->host(level, line);
  if (state_->to_stderr) {
    std::fprintf(stderr, "[keyref] [%s] %s\n", LogLevelName(level),
                 line.c_str());
  }
}

}  // namespace keyref
