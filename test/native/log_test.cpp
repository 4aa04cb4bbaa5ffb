#include "keyref/log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "keyref/live_secret.h"
#include "keyref/redactor.h"
#include "redaction_test_util.h"

namespace keyref {
namespace {

using testing_util::FreshSecret;

// A host sink that keeps every line it is given.
struct Capture {
  std::mutex mu;
  std::vector<std::pair<LogLevel, std::string>> lines;
  Logger::HostSink Sink() {
    return [this](LogLevel l, const std::string& line) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(l, line);
    };
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu);
    std::string all;
    for (auto& [l, line] : lines) all += line + "\n";
    return all;
  }
};

class LogTest : public ::testing::Test {
 protected:
  LogTest() : log_(redactor_) {
    log_.SetHostSink(cap_.Sink());
    secret_ = FreshSecret(24);
    live_ = std::make_unique<LiveSecret>(
        SecretValue::FromBytes(secret_.data(), secret_.size()), redactor_);
  }
  Redactor redactor_;
  Logger log_;
  Capture cap_;
  std::string secret_;
  std::unique_ptr<LiveSecret> live_;
};

TEST_F(LogTest, EveryLineIsRedactedBeforeTheSink) {
  log_.Log(LogLevel::kInfo, "provider said: invalid key " + secret_);
  log_.Log(LogLevel::kError, "Authorization: Bearer abcdefgh12345678");
  ASSERT_EQ(cap_.lines.size(), 2u);
  EXPECT_EQ(cap_.lines[0].second, "provider said: invalid key [REDACTED]");
  EXPECT_EQ(cap_.lines[0].first, LogLevel::kInfo);
  EXPECT_EQ(cap_.lines[1].second, "Authorization: [REDACTED]");
  EXPECT_EQ(cap_.lines[1].first, LogLevel::kError);
}

TEST_F(LogTest, LevelsFilter) {
  log_.SetLevel(LogLevel::kWarn);
  log_.Log(LogLevel::kTrace, "t");
  log_.Log(LogLevel::kDebug, "d");
  log_.Log(LogLevel::kInfo, "i");
  log_.Log(LogLevel::kWarn, "w");
  log_.Log(LogLevel::kError, "e");
  EXPECT_EQ(cap_.All(), "w\ne\n");
  log_.SetLevel(LogLevel::kOff);
  log_.Log(LogLevel::kError, "e2");
  EXPECT_EQ(cap_.lines.size(), 2u);
  LogLevel l;
  ASSERT_TRUE(LogLevelFromName("trace", &l));
  EXPECT_EQ(l, LogLevel::kTrace);
  EXPECT_FALSE(LogLevelFromName("verbose", &l));
}

RequestLog SampleRequest(const RequestLog::Headers* req,
                         const RequestLog::Headers* resp,
                         const std::string& body) {
  RequestLog r;
  r.method = "POST";
  r.origin = "https://api.example.com";
  r.path = "/v1/chat?key=zzz";
  r.ref = "env:CANARY_VAR";
  r.scheme = "env";
  r.status = 401;
  r.total_ms = 12.5;
  r.bytes_sent = 10;
  r.bytes_received = 20;
  r.request_headers = req;
  r.response_headers = resp;
  r.request_body = "{\"messages\":[]}";
  r.response_body = body;
  return r;
}

TEST_F(LogTest, TraceDescribesRequestsWithoutValuesOrBodies) {
  log_.SetLevel(LogLevel::kTrace);
  RequestLog::Headers req = {{"authorization", "Bearer " + secret_},
                             {"content-type", "application/json"}};
  RequestLog::Headers resp = {{"x-request-id", "req_42"}};
  log_.LogRequest(SampleRequest(&req, &resp, "bad key " + secret_));
  ASSERT_EQ(cap_.lines.size(), 1u);
  const std::string& line = cap_.lines[0].second;
  EXPECT_NE(line.find("POST https://api.example.com/v1/chat"),
            std::string::npos);
  EXPECT_NE(line.find("ref=env:CANARY_VAR scheme=env status=401"),
            std::string::npos);
  EXPECT_NE(line.find("total=12.5ms sent=10B received=20B"), std::string::npos);
  EXPECT_NE(line.find("request-headers=[authorization,content-type]"),
            std::string::npos);
  EXPECT_EQ(line.find("key=zzz"), std::string::npos);  // query dropped
  EXPECT_EQ(line.find("application/json"), std::string::npos);
  EXPECT_EQ(line.find("req_42"), std::string::npos);
  EXPECT_EQ(line.find("messages"), std::string::npos);
}

TEST_F(LogTest, LogBodiesWritesValuesAndBodiesScrubbed) {
  log_.SetLevel(LogLevel::kTrace);
  log_.SetLogBodies(true);
  RequestLog::Headers req = {{"authorization", "Bearer " + secret_},
                             {"content-type", "application/json"}};
  log_.LogRequest(SampleRequest(&req, nullptr, "bad key " + secret_));
  std::string all = cap_.All();
  EXPECT_EQ(all.find(secret_.substr(0, 8)), std::string::npos);
  EXPECT_NE(all.find("request-header authorization: [REDACTED]"),
            std::string::npos);
  EXPECT_NE(all.find("request-header content-type: application/json"),
            std::string::npos);
  EXPECT_NE(all.find("request-body {\"messages\":[]}"), std::string::npos);
  EXPECT_NE(all.find("response-body bad key [REDACTED]"), std::string::npos);
}

TEST_F(LogTest, AThrowingHostSinkNeverPropagates) {
  log_.SetHostSink([](LogLevel, const std::string&) {
    throw std::runtime_error("host failed");
  });
  EXPECT_NO_THROW(log_.Log(LogLevel::kError, "x"));
}

TEST_F(LogTest, LinesFromManyThreadsKeepEachThreadsOrder) {
  constexpr int kThreads = 4, kLines = 500;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([this, t] {
      for (int i = 0; i < kLines; ++i) {
        log_.Log(LogLevel::kInfo,
                 std::to_string(t) + " " + std::to_string(i) + " " + secret_);
      }
    });
  }
  for (auto& t : ts) t.join();
  ASSERT_EQ(cap_.lines.size(), std::size_t{kThreads * kLines});
  std::vector<int> next(kThreads, 0);
  for (auto& [l, line] : cap_.lines) {
    int t = 0, i = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d %d", &t, &i), 2);
    EXPECT_EQ(i, next[t]++);
    EXPECT_EQ(line.find(secret_.substr(3, 8)), std::string::npos);
  }
}

TEST_F(LogTest, StderrSinkIsRedacted) {
  log_.EnableStderr(true);
  ::testing::internal::CaptureStderr();
  log_.Log(LogLevel::kWarn, "key " + secret_);
  log_.Flush();
  std::string err = ::testing::internal::GetCapturedStderr();
  log_.EnableStderr(false);
  EXPECT_EQ(err, "[keyref] [warning] key [REDACTED]\n");
}

TEST_F(LogTest, RotatingFileIsRedactedAndRotates) {
  auto dir = std::filesystem::temp_directory_path() /
             ("keyref-log-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / "keyref.log";
  ASSERT_TRUE(log_.EnableFile(path.string(), 4096, 2).ok());
  for (int i = 0; i < 200; ++i) {
    log_.Log(LogLevel::kInfo, "line " + std::to_string(i) + " " + secret_);
  }
  log_.Flush();
  ASSERT_TRUE(log_.EnableFile("", 0, 0).ok());
  std::string all;
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    struct stat sb;
    ASSERT_EQ(::stat(e.path().c_str(), &sb), 0);
    EXPECT_EQ(sb.st_mode & 0777, 0600u) << e.path();  // rotated ones too
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(files, 3);  // current + 2 rotated
  EXPECT_NE(all.find("line 199 [REDACTED]"), std::string::npos);
  EXPECT_EQ(all.find(secret_.substr(0, 8)), std::string::npos);
  EXPECT_FALSE(log_.EnableFile("/dev/null/keyref.log", 1024, 1).ok());
}

// The log file may hold prompts and answers: created 0600 (whatever the
// umask), an existing one made 0600, and its folder checked like the file:
// source's (docs/threat-model.md, "Export gate, log file, test hooks").
TEST_F(LogTest, LogFileIsPrivateAndItsFolderChecked) {
  auto base = std::filesystem::temp_directory_path() /
              ("keyref-log-perm-" + std::to_string(::getpid()));
  std::filesystem::remove_all(base);
  ASSERT_EQ(::mkdir(base.c_str(), 0700), 0);
  const mode_t old_umask = ::umask(0);
  auto file = (base / "k.log").string();
  ASSERT_TRUE(log_.EnableFile(file, 4096, 1).ok());
  log_.Log(LogLevel::kWarn, "hello");
  log_.Flush();
  ASSERT_TRUE(log_.EnableFile("", 0, 0).ok());
  struct stat sb;
  ASSERT_EQ(::stat(file.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);  // e.g. from an older version
  ASSERT_TRUE(log_.EnableFile(file, 4096, 1).ok());
  ASSERT_TRUE(log_.EnableFile("", 0, 0).ok());
  ASSERT_EQ(::stat(file.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);

  // The file itself a symbolic link: refused (O_NOFOLLOW), target untouched.
  auto target = (base / "target").string();
  { std::ofstream(target) << "keep"; }
  auto link = (base / "link.log").string();
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_FALSE(log_.EnableFile(link, 4096, 1).ok());
  std::ifstream in(target);
  std::string kept((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(kept, "keep");

  // Folders that are refused, each with a message naming why.
  auto open_dir = base / "open";
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0777), 0);
  auto link_dir = base / "linkdir";
  ASSERT_EQ(::symlink(base.c_str(), link_dir.c_str()), 0);
  auto theirs = base / "theirs";
  ASSERT_EQ(::mkdir(theirs.c_str(), 0700), 0);
  const bool can_chown = ::chown(theirs.c_str(), 65534, 65534) == 0;
  struct Case {
    std::string path;
    const char* why;
  };
  std::vector<Case> cases = {
      {(open_dir / "k.log").string(), "group or others can write"},
      {(link_dir / "fresh.log").string(), "symbolic link"},
      {(base / "missing" / "k.log").string(), "does not exist"},
      {"/dev/null/k.log", "not a folder"},
  };
  if (can_chown) cases.push_back({(theirs / "k.log").string(), "not owned"});
  for (const Case& c : cases) {
    Status st = log_.EnableFile(c.path, 4096, 1);
    ASSERT_FALSE(st.ok()) << c.path;
    EXPECT_EQ(st.error().code, ErrorCode::kInternal);
    EXPECT_NE(st.error().message.find(c.why), std::string::npos)
        << st.error().message;
    EXPECT_FALSE(std::filesystem::exists(c.path)) << c.path;
  }
  ::umask(old_umask);
  std::filesystem::remove_all(base);
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A rotation that fails half way (the rename refused, then the file cannot
// be reopened): lines are dropped quietly, the host callback still gets
// them, the old files are left alone, and the file resumes once its folder
// is usable again. Before FileSink, spdlog 1.10 wrote the next line short
// enough not to rotate to a null FILE* (SIGSEGV; docs/reliability.md,
// "Disk"). Works as root too: nobody can rename a file onto a folder.
TEST_F(LogTest, FailedRotationDropsLinesQuietlyAndRecovers) {
  auto dir = std::filesystem::temp_directory_path() /
             ("keyref-log-rotfail-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const auto file = dir / "k.log";
  ASSERT_TRUE(log_.EnableFile(file.string(), 1024, 2).ok());
  const std::string long_text(600, 'a');
  log_.Log(LogLevel::kInfo, "first " + long_text);

  // k.1.log must move onto k.2.log, a folder that is not empty (removing and
  // renaming it both fail), and k.log is now a folder, so that reopening it
  // fails too. The open file keeps taking lines until the rotation closes it.
  { std::ofstream(dir / "k.1.log") << "old rotated log\n"; }
  ASSERT_EQ(::mkdir((dir / "k.2.log").c_str(), 0700), 0);
  { std::ofstream(dir / "k.2.log" / "x") << "x"; }
  ASSERT_EQ(::rename(file.c_str(), (dir / "k.moved").c_str()), 0);
  ASSERT_EQ(::mkdir(file.c_str(), 0700), 0);
  log_.Log(LogLevel::kInfo, "second " + long_text);  // the rotation fails
  log_.Log(LogLevel::kInfo, "third, short");         // fits: no rotation tried
  log_.Flush();
  EXPECT_NE(cap_.All().find("third, short"), std::string::npos);
  EXPECT_EQ(ReadFile(dir / "k.1.log"), "old rotated log\n");
  EXPECT_NE(ReadFile(dir / "k.moved").find("first"), std::string::npos);

  // The folder usable again: a later line reaches a fresh k.log (one try a
  // second, so a bounded wait).
  ASSERT_EQ(::rmdir(file.c_str()), 0);
  bool resumed = false;
  for (int i = 0; i < 50 && !resumed; ++i) {
    log_.Log(LogLevel::kInfo, "after " + std::to_string(i));
    log_.Flush();
    resumed = std::filesystem::is_regular_file(file) &&
              ReadFile(file).find("after") != std::string::npos;
    if (!resumed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(resumed) << "the log file did not resume";
  ASSERT_TRUE(log_.EnableFile("", 0, 0).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keyref
