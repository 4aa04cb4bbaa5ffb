// Logging. Every line goes through the instance's Redactor before any sink
// sees it, so a call site that forgets cannot leak. Log identifiers (the ref,
// the scheme, the origin), never values.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace keyref {

class Redactor;

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

// "trace" … "error", "off".
const char* LogLevelName(LogLevel level) noexcept;
bool LogLevelFromName(std::string_view name, LogLevel* out) noexcept;

class Logger {
 public:
  // Receives already-redacted lines. May be called from any thread; the
  // addon's implementation forwards to JS without blocking (issue 5).
  using HostSink = std::function<void(LogLevel, const std::string& line)>;

  explicit Logger(const Redactor& redactor);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void SetLevel(LogLevel level) noexcept;
  LogLevel level() const noexcept;
  bool Enabled(LogLevel level) const noexcept;

  void SetHostSink(HostSink sink);
  void EnableStderr(bool on);

  // Redacts, then writes to every sink.
  void Log(LogLevel level, std::string_view message);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace keyref
