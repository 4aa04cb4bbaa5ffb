// file:NAME — an entry of the opt-in plaintext JSON secrets file, an object
// of name -> string value. Refused, as ssh refuses a private key, when the
// file or its folder is open to group or others or owned by someone else.
//
// The file's bytes are read straight into a SecretValue and parsed there;
// values are never decoded into a std::string. Writes copy the other
// entries' raw JSON text across untouched.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "keyref/file_lock.h"
#include "keyref/source.h"
#include "keyref/temp_file.h"
#include "sources/sources.h"

namespace keyref::sources {
namespace {

constexpr std::size_t kMaxFile = 16u << 20;

std::string DirOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "<dir>/.<file>.lock": the lock every writer of `path` holds around its
// read-modify-write. The file itself cannot carry the lock: each write
// replaces it by rename, and a lock on the old inode stops no one.
std::string LockPathFor(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." + path + ".lock"
                                    : path.substr(0, slash + 1) + "." +
                                          path.substr(slash + 1) + ".lock";
}

// How long a writer waits for another process's write of the file.
constexpr std::chrono::seconds kLockWait{10};

Error Denied(const std::string& what, const std::string& path,
             const std::string& fix) {
  return Error(ErrorCode::kSourceDenied,
               "The plaintext secrets " + what + " " + path +
                   " is refused: " + fix.substr(0, fix.find('|')) + ".",
               fix.substr(fix.find('|') + 1));
}

// ssh-style checks. `dir` must be a folder owned by the user that group and
// others can neither read nor write; the file a regular file owned by the
// user with no group/other permission at all.
Status CheckDir(const std::string& dir) {
  struct stat sb;
  if (stat(dir.c_str(), &sb) != 0) {
    return Error(
        ErrorCode::kSecretNotFound,
        "The folder of the plaintext secrets file does not exist: " + dir + ".",
        "Create it with mode 0700, or store a secret with "
        "storeSecret('file:NAME', value).");
  }
  if (!S_ISDIR(sb.st_mode)) {
    return Denied("folder", dir,
                  "it is not a folder|Point "
                  "policy.plaintextFile at a file in a folder of your own.");
  }
  if (sb.st_uid != geteuid()) {
    return Denied("folder", dir,
                  "it is not owned by you|Use a folder you "
                  "own (chown), mode 0700.");
  }
  if (sb.st_mode & 066) {
    return Denied("folder", dir,
                  "group or others can read or write it|Run "
                  "chmod 700 on the folder.");
  }
  return {};
}

Status CheckFile(const struct stat& sb, const std::string& path) {
  if (!S_ISREG(sb.st_mode)) {
    return Denied("file", path,
                  "it is not a regular file|Point "
                  "policy.plaintextFile at a regular file.");
  }
  if (sb.st_uid != geteuid()) {
    return Denied("file", path,
                  "it is not owned by you|chown it to "
                  "yourself, mode 0600.");
  }
  if (sb.st_mode & 077) {
    return Denied("file", path,
                  "group or others have access to it|Run "
                  "chmod 600 on the file (like ssh, keyref refuses keys "
                  "others can read).");
  }
  return {};
}

// A member of the top-level object: its name and where its raw value text
// sits in the file.
struct Member {
  std::string name;
  std::size_t begin = 0, end = 0;
  bool is_string = false;
};

// Why a scanner of our own and not nlohmann/json (the project's JSON
// library, used elsewhere): this file holds every key the user stores in it,
// and only the one asked for may be decoded, into locked, wiped memory.
// nlohmann's parser builds every value (all the keys) as strings; a wiping
// allocator can be given to its DOM strings, but not to its lexer, which
// copies each token into a std::vector<char> with the default allocator
// (lexer::token_string, grown by push_back and freed unwiped) and quotes it
// in parse errors. This scanner reads the bytes in place inside the
// SecretValue, skips other values without decoding them, and decodes one
// string straight into a SecretValue.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : s_(text) {}

  // Parses `{ "name": value, … }`. False on a syntax error (pos() says
  // where).
  bool Object(std::vector<Member>* out) {
    Ws();
    if (!Eat('{')) return false;
    Ws();
    if (Eat('}')) return Trailing();
    for (;;) {
      Ws();
      Member m;
      if (Peek() != '"' || !StringTo(&m.name)) return false;
      Ws();
      if (!Eat(':')) return false;
      Ws();
      m.begin = i_;
      m.is_string = Peek() == '"';
      if (!Skip(0)) return false;
      m.end = i_;
      out->push_back(std::move(m));
      Ws();
      if (Eat(',')) continue;
      if (Eat('}')) return Trailing();
      return false;
    }
  }

  std::size_t pos() const { return i_; }

  // Decodes the JSON string at [begin, end) into `out`.
  static bool Decode(std::string_view raw, keyref::SecretValue* out) {
    JsonScanner j(raw);
    return j.StringInto(out);
  }

 private:
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' ||
                              s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool Trailing() {
    Ws();
    return i_ == s_.size();
  }

  template <typename Sink>
  bool StringGeneric(Sink&& put) {
    if (!Eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        put(&c, 1);
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      char ch;
      switch (e) {
        case '"':
          ch = '"';
          break;
        case '\\':
          ch = '\\';
          break;
        case '/':
          ch = '/';
          break;
        case 'b':
          ch = '\b';
          break;
        case 'f':
          ch = '\f';
          break;
        case 'n':
          ch = '\n';
          break;
        case 'r':
          ch = '\r';
          break;
        case 't':
          ch = '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (!Eat('\\') || !Eat('u') || !Hex4(&lo) || lo < 0xDC00 ||
                lo > 0xDFFF) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          char u[4];
          std::size_t n = Utf8(cp, u);
          put(u, n);
          SecureZero(u, sizeof u);
          continue;
        }
        default:
          return false;
      }
      put(&ch, 1);
    }
    return false;
  }

  bool StringTo(std::string* out) {
    return StringGeneric(
        [out](const char* p, std::size_t n) { out->append(p, n); });
  }
  bool StringInto(keyref::SecretValue* out) {
    return StringGeneric(
        [out](const char* p, std::size_t n) { out->Append(p, n); });
  }

  bool Hex4(unsigned* out) {
    if (i_ + 4 > s_.size()) return false;
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return false;
    }
    *out = v;
    return true;
  }

  static std::size_t Utf8(unsigned cp, char* u) {
    if (cp < 0x80) {
      u[0] = static_cast<char>(cp);
      return 1;
    }
    if (cp < 0x800) {
      u[0] = static_cast<char>(0xC0 | (cp >> 6));
      u[1] = static_cast<char>(0x80 | (cp & 0x3F));
      return 2;
    }
    if (cp < 0x10000) {
      u[0] = static_cast<char>(0xE0 | (cp >> 12));
      u[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      u[2] = static_cast<char>(0x80 | (cp & 0x3F));
      return 3;
    }
    u[0] = static_cast<char>(0xF0 | (cp >> 18));
    u[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    u[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    u[3] = static_cast<char>(0x80 | (cp & 0x3F));
    return 4;
  }

  // Skips one JSON value (any type), bounded nesting.
  bool Skip(int depth) {
    if (depth > 64) return false;
    char c = Peek();
    if (c == '"') return StringGeneric([](const char*, std::size_t) {});
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      Ws();
      if (Eat(close)) return true;
      for (;;) {
        Ws();
        if (close == '}') {
          if (!StringGeneric([](const char*, std::size_t) {})) return false;
          Ws();
          if (!Eat(':')) return false;
          Ws();
        }
        if (!Skip(depth + 1)) return false;
        Ws();
        if (Eat(',')) continue;
        return Eat(close);
      }
    }
    // number, true, false, null: a run of literal characters.
    std::size_t start = i_;
    while (i_ < s_.size() && std::strchr("+-.0123456789eEtrufalsn", s_[i_])) {
      ++i_;
    }
    return i_ > start;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// Appends `s` as a JSON string, quotes included: '"' and '\\' escaped,
// control characters as \u00XX. Names and values alike: a member name is
// decoded when the file is read, so it must be escaped again when written.
// `out` is locked memory; the few bytes of an escape pass through a stack
// buffer that is wiped.
void AppendJsonString(keyref::SecretValue* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->Append("\"", 1);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      const char esc[2] = {'\\', c};
      out->Append(esc, 2);
    } else if (u < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
      out->Append(esc, sizeof esc);
      SecureZero(esc, sizeof esc);
    } else {
      out->Append(&c, 1);
    }
  }
  out->Append("\"", 1);
}

class FileSource final : public SecretSource {
 public:
  explicit FileSource(const SourceConfig& c)
      : path_(PlaintextFilePath(c.plaintext_file, *EnvOf(c))) {}

  Scheme scheme() const noexcept override { return Scheme::kFile; }

  Result<SecretValue> Resolve(const ParsedRef& ref) override {
    keyref::SecretValue text;
    std::vector<Member> members;
    if (Status st = Load(&text, &members, true); !st) {
      return std::move(st).error();
    }
    for (const Member& m : members) {
      if (m.name != ref.name) continue;
      if (!m.is_string) {
        return Error(ErrorCode::kSecretMalformed,
                     "The entry " + ref.name +
                         " of the plaintext secrets file is not a string.",
                     "Write it as \"" + ref.name + "\": \"KEY\".");
      }
      keyref::SecretValue v;
      JsonScanner::Decode(text.Reveal().substr(m.begin, m.end - m.begin), &v);
      return v;
    }
    return Error(ErrorCode::kSecretNotFound,
                 "The plaintext secrets file " + path_ + " has no entry " +
                     ref.name + ".",
                 "Add it with storeSecret('file:" + ref.name + "', value).");
  }

  Status Store(const ParsedRef& ref,
               const keyref::SecretValue& value) override {
    return Rewrite(ref.name, &value);
  }

  Status Delete(const ParsedRef& ref) override {
    return Rewrite(ref.name, nullptr);
  }

  SourceProbe Probe() override {
    keyref::SecretValue text;
    std::vector<Member> members;
    Status st = Load(&text, &members, true);
    if (!st) return {false, st.error().message};
    return {true, {}};
  }

 private:
  // Reads and parses the file. With `must_exist` false a missing file is an
  // empty object.
  Status Load(keyref::SecretValue* text, std::vector<Member>* members,
              bool must_exist) {
    if (Status st = CheckDir(DirOf(path_)); !st) return st;
    // O_NONBLOCK: opening a FIFO (or a device) planted at the path must not
    // block before CheckFile refuses it: every write of the instance waits
    // on a read under its write lock, and no timeout would end it. Reads of
    // a regular file ignore the flag.
    int fd =
        open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      if (errno == ENOENT) {
        if (!must_exist) return {};
        return Error(ErrorCode::kSecretNotFound,
                     "The plaintext secrets file " + path_ + " does not exist.",
                     "Create it with storeSecret('file:NAME', value), or as "
                     "a JSON object of name -> key with mode 0600.");
      }
      if (errno == ELOOP) {
        return Denied("file", path_,
                      "it is a symbolic link|Point "
                      "policy.plaintextFile at the real file.");
      }
      return Error(ErrorCode::kSourceDenied,
                   "The plaintext secrets file " + path_ +
                       " cannot be opened: " + std::strerror(errno) + ".",
                   "Check the file's owner and mode (0600).");
    }
    struct stat sb;
    Status st;
    if (fstat(fd, &sb) != 0) {
      st = Error(ErrorCode::kInternal, "fstat failed on " + path_ + ".");
    } else if (st = CheckFile(sb, path_);
               st && sb.st_size > 0 &&
               static_cast<std::size_t>(sb.st_size) > kMaxFile) {
      st = Error(ErrorCode::kSecretMalformed,
                 "The plaintext secrets file is larger than 16 MiB.",
                 "It should hold a few keys; check policy.plaintextFile.");
    }
    if (st) {
      // Read straight into locked memory; the stack buffer is wiped.
      char buf[8192];
      for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text->Append(buf, static_cast<std::size_t>(n));
        if (text->size() > kMaxFile) break;
      }
      SecureZero(buf, sizeof buf);
    }
    close(fd);
    if (!st) return st;
    JsonScanner j(text->Reveal());
    if (text->empty()) return {};
    if (!j.Object(members)) {
      members->clear();
      return Error(ErrorCode::kSourceUnavailable,
                   "The plaintext secrets file " + path_ +
                       " is not a JSON object of strings (syntax error near "
                       "byte " +
                       std::to_string(j.pos()) + ").",
                   "Fix the file: it must be {\"NAME\": \"KEY\", …}.");
    }
    return {};
  }

  // Every write (a store, a delete, a binding record, the fingerprint
  // key's entry) is a read-modify-write of the whole file, made holding the
  // file's lock (LockPathFor) so that writers in other processes, and other
  // instances in this one, serialise: without it two writers each read the
  // old file and the second rename drops the first one's entry.
  Status Rewrite(const std::string& name, const keyref::SecretValue* value) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string dir = DirOf(path_);
    struct stat sb;
    if (stat(dir.c_str(), &sb) != 0 && errno == ENOENT && value) {
      if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return Error(ErrorCode::kSourceDenied,
                     "The folder " + dir +
                         " cannot be created: " + std::strerror(errno) + ".",
                     "Create it with mode 0700.");
      }
    }
    // The folder's checks come before the lock file is made in it.
    if (Status st = CheckDir(dir); !st) return st;
    auto file_lock = ExclusiveFileLock::Take(LockPathFor(path_), kLockWait);
    if (!file_lock.ok()) return std::move(file_lock).error();
    keyref::SecretValue text;
    std::vector<Member> members;
    if (Status st = Load(&text, &members, false); !st) return st;
    bool present = false;
    for (const Member& m : members) present |= m.name == name;
    if (!value && !present) return {};  // deleting what is not there

    // The new text, built in locked memory.
    keyref::SecretValue out;
    auto put = [&out](std::string_view s) { out.Append(s.data(), s.size()); };
    bool first = true;
    auto key = [&](const std::string& n) {
      put(first ? "{\n  " : ",\n  ");
      first = false;
      AppendJsonString(&out, n);
      put(": ");
    };
    std::string_view raw = text.Reveal();
    for (const Member& m : members) {
      if (m.name == name) continue;
      key(m.name);
      put(raw.substr(m.begin, m.end - m.begin));
    }
    if (value) {
      key(name);
      AppendJsonString(&out, value->Reveal());
    }
    put(first ? "{}\n" : "\n}\n");
    return WriteAtomically(out);
  }

  Status WriteAtomically(const keyref::SecretValue& out) {
    // A writer killed before its rename left its temporary (secrets
    // included). Every temporary is made under the file's lock (Rewrite,
    // the only caller, holds it), so any found is a dead writer's whatever
    // its pid: a pid from another PID namespace (a container sharing the
    // folder) names the wrong process here, and such a temporary, holding
    // keys deleted since, used to stay (keyref/temp_file.h).
    RemoveTempsUnderLock(path_);
    std::string tmp = TempPrefixFor(path_) + "XXXXXX";
    int fd = mkstemp(tmp.data());  // mode 0600
    if (fd < 0) {
      return Error(ErrorCode::kSourceDenied,
                   "The plaintext secrets file cannot be written: " +
                       std::string(std::strerror(errno)) + ".",
                   "Check the folder is yours and writable.");
    }
    fchmod(fd, 0600);
    std::string_view data = out.Reveal();
    bool ok = true;
    while (!data.empty()) {
      ssize_t n = write(fd, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = false;
        break;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    ok = ok && fsync(fd) == 0;
    ok = (close(fd) == 0) && ok;
    if (!ok || rename(tmp.c_str(), path_.c_str()) != 0) {
      unlink(tmp.c_str());
      return Error(ErrorCode::kInternal,
                   "Writing the plaintext secrets file failed.",
                   "Check free space and permissions of its folder.");
    }
    return {};
  }

  std::string path_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<SecretSource> MakeFileSource(const SourceConfig& config) {
  return std::make_unique<FileSource>(config);
}

}  // namespace keyref::sources
