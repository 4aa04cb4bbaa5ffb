// The audit log shared by several writers, and what a record may hold
// (docs/origins.md, "The audit trail"). The single-writer basics (0600,
// rotation, tails across files, a symlink refused) are in origin_test.cpp;
// two Sidecars and two processes on one file are in test/node/origins.test.js.
#include "keyref/audit.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "keyref/file_lock.h"
#include "keyref/instance.h"
#include "test_util.h"

namespace keyref {
namespace {

using namespace std::chrono_literals;

AuditRecord Numbered(int i) {
  AuditRecord r;
  r.time_ms = 1764320000000 + i;
  r.ref = "env:K" + std::to_string(i);
  r.fingerprint = "0000-0000-0000";
  r.provider = "openai";
  r.origin = "https://api.openai.com";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.status = 200;
  return r;
}

// Every line of the file and its rotated predecessors, oldest first.
std::vector<std::string> RefsInFiles(const std::string& path, int max_files) {
  std::vector<std::string> refs;
  for (int i = max_files; i >= 0; --i) {
    std::ifstream in(i == 0 ? path : path + "." + std::to_string(i));
    std::string line;
    while (std::getline(in, line)) {
      AuditRecord r;
      EXPECT_TRUE(AuditRecordFromJson(line, &r)) << line;
      refs.push_back(r.ref);
    }
  }
  return refs;
}

std::vector<std::string> RefsOf(const std::vector<AuditRecord>& records) {
  std::vector<std::string> refs;
  for (const AuditRecord& r : records) refs.push_back(r.ref);
  return refs;
}

// Two logs on one file, as two Sidecars (or two extension hosts) with the
// same auditFile: whoever rotates, every later line of either lands in the
// file at the path, so the files hold the newest lines with no gap, and
// both tails read them. Before, each kept its own descriptor and byte
// count: after A rotated, B appended to path.1, after A's second rotation
// to an unlinked file, and B's lines were gone.
TEST(AuditSharedFileTest, TwoWritersLoseNoLineToTheOthersRotation) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  AuditOptions o;
  o.path = path;
  o.max_bytes = 4096;
  o.max_files = 1;
  AuditLog a;
  AuditLog b;
  ASSERT_TRUE(a.Open(o).ok());
  ASSERT_TRUE(b.Open(o).ok());
  std::vector<std::string> written;
  auto append = [&](AuditLog& log, int i) {
    ASSERT_TRUE(log.Append(Numbered(i)).ok());
    written.push_back("env:K" + std::to_string(i));
  };
  int i = 0;
  append(b, i++);                               // B opened the file, one line
  for (int k = 0; k < 60; ++k) append(a, i++);  // A rotates twice or more
  for (int k = 0; k < 5; ++k) append(b, i++);
  for (int k = 0; k < 40; ++k) append(k % 2 ? a : b, i++);

  std::vector<std::string> found = RefsInFiles(path, o.max_files);
  ASSERT_FALSE(found.empty());
  ASSERT_LE(found.size(), written.size());
  // Rotation drops the oldest lines only: what is left is the end of what
  // was written, in order.
  std::vector<std::string> suffix(written.end() - found.size(), written.end());
  EXPECT_EQ(found, suffix);
  auto ta = a.Tail(found.size());
  auto tb = b.Tail(found.size());
  ASSERT_TRUE(ta.ok());
  ASSERT_TRUE(tb.ok());
  EXPECT_EQ(RefsOf(ta.value()), suffix);
  EXPECT_EQ(RefsOf(tb.value()), suffix);
  // Each file within max_bytes: the size comes from the file, not from a
  // count of this writer's own lines.
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 4096);
  ASSERT_EQ(::stat((path + ".1").c_str(), &st), 0);
  EXPECT_LE(st.st_size, 4096);
}

// The file at the path is another one (moved away by hand or by a
// logrotate job, or removed): the next line goes to the path, created
// again if need be, never into the moved or unlinked file.
TEST(AuditSharedFileTest, ReopensWhenThePathIsNoLongerItsFile) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  AuditOptions o;
  o.path = path;
  o.max_files = 2;
  AuditLog log;
  ASSERT_TRUE(log.Open(o).ok());
  ASSERT_TRUE(log.Append(Numbered(1)).ok());
  ASSERT_EQ(::rename(path.c_str(), (dir.path() + "/moved").c_str()), 0);
  ASSERT_TRUE(log.Append(Numbered(2)).ok());
  EXPECT_EQ(RefsInFiles(path, 0), std::vector<std::string>{"env:K2"});
  EXPECT_EQ(RefsInFiles(dir.path() + "/moved", 0),
            std::vector<std::string>{"env:K1"});
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_TRUE(log.Append(Numbered(3)).ok());
  EXPECT_EQ(RefsInFiles(path, 0), std::vector<std::string>{"env:K3"});
  auto tail = log.Tail(10);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(RefsOf(tail.value()), std::vector<std::string>{"env:K3"});
}

// Another writer keeps the lock (a stopped process): the append gives up
// after lock_wait, says so without naming anything but the file, and keeps
// the record in memory; once the lock is free, lines are written again.
TEST(AuditSharedFileTest, ALockHeldElsewhereCostsTheLineAfterABoundedWait) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  AuditOptions o;
  o.path = path;
  o.lock_wait = 50ms;
  AuditLog log;
  ASSERT_TRUE(log.Open(o).ok());
  auto held = ExclusiveFileLock::Take(path + ".lock", 1s);
  ASSERT_TRUE(held.ok());
  const auto started = std::chrono::steady_clock::now();
  Status st = log.Append(Numbered(1));
  ASSERT_FALSE(st.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);  // bounded
  EXPECT_EQ(st.error().code, ErrorCode::kInternal);
  EXPECT_NE(st.error().message.find(path), std::string::npos);
  EXPECT_EQ(st.error().message.find("env:K1"), std::string::npos);
  EXPECT_EQ(log.LastUsed("env:K1"), 1764320000001);  // kept in memory
  EXPECT_TRUE(RefsInFiles(path, 0).empty());
  held.value().reset();
  ASSERT_TRUE(log.Append(Numbered(2)).ok());
  EXPECT_EQ(RefsInFiles(path, 0), std::vector<std::string>{"env:K2"});
}

// The lock path is checked when the log opens: a symlink planted there is
// refused at construction (never followed), not found out line by line.
TEST(AuditSharedFileTest, ALockPathThatIsASymlinkIsRefusedAtOpen) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  const std::string target = dir.path() + "/elsewhere";
  ASSERT_EQ(::symlink(target.c_str(), (path + ".lock").c_str()), 0);
  AuditOptions o;
  o.path = path;
  AuditLog log;
  Status st = log.Open(o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInternal);
  EXPECT_NE(st.error().message.find(path), std::string::npos);
  EXPECT_NE(::access(target.c_str(), F_OK), 0);  // nothing made through it
  EXPECT_FALSE(log.has_file());
}

// After a wait for the lock timed out, the next appends only try it (for
// kLockBackoff): a stuck holder costs one wait, not one per request. The
// lines lost are counted and reported once the back-off is over. Before,
// every append waited the whole lock_wait.
TEST(AuditSharedFileTest, AfterATimedOutWaitAppendsDoNotWaitAgain) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  std::vector<std::string> warned;
  AuditOptions o;
  o.path = path;
  o.lock_wait = 300ms;
  o.warn = [&warned](const std::string& m) { warned.push_back(m); };
  AuditLog log;
  ASSERT_TRUE(log.Open(o).ok());
  auto held = ExclusiveFileLock::Take(path + ".lock", 1s);
  ASSERT_TRUE(held.ok());
  ASSERT_FALSE(log.Append(Numbered(1)).ok());  // waits 300 ms
  const auto started = std::chrono::steady_clock::now();
  for (int i = 2; i <= 6; ++i) {
    Status st = log.Append(Numbered(i));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message.find("env:K"), std::string::npos);
  }
  // Five appends without a wait; with one each, 1500 ms. A bound on a wait,
  // not a performance target.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 250ms);
  EXPECT_TRUE(warned.empty());
  EXPECT_EQ(log.LastUsed("env:K6"), 1764320000006);  // kept in memory
  held.value().reset();
  // The lock is free again: written at once, and the back-off is over.
  ASSERT_TRUE(log.Append(Numbered(7)).ok());
  EXPECT_EQ(RefsInFiles(path, 0), std::vector<std::string>{"env:K7"});
  ASSERT_TRUE(log.Append(Numbered(8)).ok());
  ASSERT_EQ(warned.size(), 1u);
  EXPECT_NE(warned[0].find("6 audit lines were not written to " + path),
            std::string::npos)
      << warned[0];
}

// A FIFO planted at a rotated file's path does not block Open (which runs
// on the JavaScript thread) and is skipped. Before, std::ifstream blocked
// in open() until a writer came: the extension host froze.
TEST(AuditSharedFileTest, AFifoAtARotatedPathIsSkippedWithoutBlocking) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  const std::string fifo = path + ".1";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::vector<std::string> warned;
  AuditOptions o;
  o.path = path;
  o.warn = [&warned](const std::string& m) { warned.push_back(m); };
  AuditLog log;
  std::atomic<bool> done{false};
  Status st;
  std::thread opener([&] {
    st = log.Open(o);
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  const bool blocked = !done;
  if (blocked) {
    // Let the stuck reader go (a writer comes and leaves: end of file).
    int w = ::open(fifo.c_str(), O_WRONLY);
    if (w >= 0) ::close(w);
  }
  opener.join();
  ASSERT_FALSE(blocked) << "Open blocked on the FIFO at " << fifo;
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(warned.size(), 1u);
  EXPECT_NE(warned[0].find("skipped"), std::string::npos);
  ASSERT_TRUE(log.Append(Numbered(1)).ok());
  auto tail = log.Tail(10);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(RefsOf(tail.value()), std::vector<std::string>{"env:K1"});
  EXPECT_EQ(warned.size(), 1u);  // reported once
}

// A symlink at a rotated file's path is not followed (one to /dev/zero
// would be read without end): its target's lines are not in the tail.
TEST(AuditSharedFileTest, ASymlinkAtARotatedPathIsNotFollowed) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  const std::string target = dir.path() + "/elsewhere";
  {
    std::ofstream out(target);
    out << AuditRecordToJson(Numbered(9)) << "\n";
  }
  ASSERT_EQ(::symlink(target.c_str(), (path + ".1").c_str()), 0);
  AuditOptions o;
  o.path = path;
  AuditLog log;
  ASSERT_TRUE(log.Open(o).ok());
  EXPECT_EQ(log.LastUsed("env:K9"), 0);  // not seeded from the target
  ASSERT_TRUE(log.Append(Numbered(1)).ok());
  auto tail = log.Tail(10);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(RefsOf(tail.value()), std::vector<std::string>{"env:K1"});
}

// A field is cut to kMaxFieldBytes at a character boundary, with "…": one
// line stays small whatever a caller hands in, in the file and in memory.
TEST(AuditRecordTest, FieldsAreCutSoThatALineStaysSmall) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  AuditRecord r = Numbered(1);
  // "é" is two bytes, and the cut falls between them: the whole "é" goes.
  r.path = "/" + std::string(AuditLog::kMaxFieldBytes - 5, 'a');
  for (int k = 0; k < 1000; ++k) r.path += "\xC3\xA9";
  r.path += std::string(1 << 20, 'b');
  r.method = std::string(5000, 'M');
  r.origin = "https://" + std::string(3000, 'o') + ".example";
  for (bool file : {false, true}) {
    AuditLog log;
    if (file) {
      AuditOptions o;
      o.path = path;
      ASSERT_TRUE(log.Open(o).ok());
    }
    ASSERT_TRUE(log.Append(r).ok());
    auto tail = log.Tail(1);
    ASSERT_TRUE(tail.ok());
    ASSERT_EQ(tail.value().size(), 1u);
    const AuditRecord& got = tail.value()[0];
    for (const std::string* f : {&got.path, &got.method, &got.origin}) {
      EXPECT_LE(f->size(), AuditLog::kMaxFieldBytes);
      EXPECT_EQ(f->substr(f->size() - 3), "\xE2\x80\xA6");  // "…"
      // No cut character (the JSON round trip would have replaced it).
      EXPECT_EQ(f->find("\xEF\xBF\xBD"), std::string::npos);
    }
    EXPECT_EQ(got.path.compare(0, AuditLog::kMaxFieldBytes - 4,
                               r.path.substr(0, AuditLog::kMaxFieldBytes - 4)),
              0);
    EXPECT_LT(AuditRecordToJson(got).size(), 8u * AuditLog::kMaxFieldBytes);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_LT(st.st_size, 8 * 1024);
}

// ---- Instance::Send ------------------------------------------------------

Result<HttpResponse> SendOne(Instance& inst, const HttpRequest& r) {
  RequestControl control;
  return inst.Send(r, control, nullptr);
}

// A refused request is recorded too, and the raw binding can hand Send
// anything: the path and method are recorded only once they pass the
// request's own checks (else empty), and never longer than the cap. Before,
// the line held the query ("?password=…"), the CR/LF, and the whole path.
TEST(AuditSendTest, RecordsPathAndMethodOnlyOnceChecked) {
  test::TempDir dir;
  const std::string path = dir.path() + "/audit.jsonl";
  Policy p;
  p.allow = SchemeSet::FromBits(0b000011);  // secret, env
  Instance inst(p);
  AuditOptions o;
  o.path = path;
  ASSERT_TRUE(inst.ConfigureAudit(o).ok());

  // ollama takes no key; 127.0.0.1:9 is never reached (refused first).
  HttpRequest q;
  q.provider = Provider::kOllama;
  q.base_url = "http://127.0.0.1:9/api";
  q.path = "/chat?password=hunter2&user=alice";
  auto r1 = SendOne(inst, q);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, ErrorCode::kBadBaseUrl);

  HttpRequest m = q;
  m.path = "/chat\n{\"forged\":true}";
  m.method = "GET\r\nX-Forged: 1";
  auto r2 = SendOne(inst, m);
  ASSERT_FALSE(r2.ok());

  HttpRequest ok_path = q;
  ok_path.path = "/chat";
  ok_path.method = "POST\r\nX-Forged: 1";
  auto r3 = SendOne(inst, ok_path);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, ErrorCode::kHeaderForbidden);

  // A valid path of 200 KB, for a key bound nowhere: refused before
  // anything is resolved or connected, recorded with a cut path.
  HttpRequest big;
  big.provider = Provider::kOpenAICompatible;
  big.base_url = "http://127.0.0.2:9";
  big.api_key_ref = ParseRef("env:KEYREF_AUDIT_NONE", SchemeSet::All()).value();
  for (int k = 0; k < 50000; ++k) big.path += "/seg";
  auto r4 = SendOne(inst, big);
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.error().code, ErrorCode::kKeyOriginUnbound);

  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find('?'), std::string::npos);
  EXPECT_EQ(text.find("forged"), std::string::npos);
  EXPECT_EQ(text.find("Forged"), std::string::npos);
  EXPECT_EQ(text.find("\\r"), std::string::npos);
  EXPECT_EQ(text.find("\\n"), std::string::npos);
  EXPECT_LT(text.size(), 8u * 1024);

  auto tail = inst.AuditTail(10);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail.value().size(), 4u);
  const auto& recs = tail.value();
  EXPECT_EQ(recs[0].path, "");
  EXPECT_EQ(recs[0].method, "POST");
  EXPECT_EQ(recs[0].error_code, "BAD_BASE_URL");
  EXPECT_EQ(recs[1].path, "");
  EXPECT_EQ(recs[1].method, "");
  EXPECT_EQ(recs[2].path, "/api/chat");  // checked: recorded
  EXPECT_EQ(recs[2].method, "");
  EXPECT_EQ(recs[3].ref, "env:KEYREF_AUDIT_NONE");
  EXPECT_EQ(recs[3].error_code, "KEY_ORIGIN_UNBOUND");
  EXPECT_LE(recs[3].path.size(), AuditLog::kMaxFieldBytes);
  EXPECT_EQ(recs[3].path.compare(0, 8, "/seg/seg"), 0);
}

}  // namespace
}  // namespace keyref
