// Logging. Every line goes through the instance's Redactor before any sink
// sees it, so a call site that forgets cannot leak. Log identifiers (the ref,
// the scheme, the origin), never values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyref/error.h"

namespace keyref {

class Redactor;

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

// What a request looked like, for Logger::LogRequest (written by the request
// builder). Views only: nothing is kept after the call.
struct RequestLog {
  std::string_view method;      // "POST"
  std::string_view origin;      // "https://api.openai.com"
  std::string_view path;        // "/v1/chat/completions"; the query is dropped
  std::string_view ref;         // the apiKeyRef, e.g. "secret:openai"
  std::string_view scheme;      // "secret"
  int status = 0;               // HTTP status; 0 when there was no response
  std::string_view error_code;  // e.g. "REQUEST_TIMEOUT"; empty on success
  double connect_ms = -1;       // < 0: unknown
  double first_byte_ms = -1;
  double total_ms = -1;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  using Headers = std::vector<std::pair<std::string, std::string>>;
  // Names are always logged; values and bodies only with logBodies, and
  // then scrubbed like every line.
  const Headers* request_headers = nullptr;
  const Headers* response_headers = nullptr;
  std::string_view request_body;
  std::string_view response_body;
};

// "trace" … "error", "off".
const char* LogLevelName(LogLevel level) noexcept;
bool LogLevelFromName(std::string_view name, LogLevel* out) noexcept;

class Logger {
 public:
  // Receives already-redacted lines. May be called from any thread; the
  // addon's implementation forwards to JS without blocking (docs/redaction.md).
  using HostSink = std::function<void(LogLevel, const std::string& line)>;

  explicit Logger(const Redactor& redactor);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void SetLevel(LogLevel level) noexcept;
  LogLevel level() const noexcept;
  bool Enabled(LogLevel level) const noexcept;

  // The host's callback (options.log). Called with each redacted line, in
  // order, from the thread that logged, under the sink lock: it must not
  // block (the addon queues to a thread-safe function) and must not log.
  // An exception it throws is swallowed. nullptr removes it.
  void SetHostSink(HostSink sink);
  // "[keyref] [level] line" on stderr, for command-line use.
  void EnableStderr(bool on);
  // A rotating log file (spdlog rotating_file_sink): at most `max_files`
  // files of `max_bytes` each besides the current one. An empty path turns
  // the file off. The files are created 0600 without following a symbolic
  // link, in a folder that must be the user's own, not a symbolic link, and
  // not writable by group or others. Fails with INTERNAL when the folder is
  // refused or the file cannot be opened (the message names the path, which
  // is not a secret).
  Status EnableFile(const std::string& path, std::size_t max_bytes,
                    std::size_t max_files);
  // Whether LogRequest may write header values and bodies (scrubbed).
  // Policy.logBodies; default false.
  void SetLogBodies(bool on) noexcept;
  bool log_bodies() const noexcept;

  // Redacts, then writes to every sink. The redaction happens in the sink
  // chain, so every line of every caller goes through it.
  void Log(LogLevel level, std::string_view message);
  // At trace: one line describing the request (method, origin and path,
  // status, timings, bytes, the ref and its scheme, header names), and with
  // logBodies one more line per header value and per body.
  void LogRequest(const RequestLog& request);
  // Flushes the file sink.
  void Flush();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace keyref
