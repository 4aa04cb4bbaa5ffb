#include "profile_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "config.h"
#include "keyref/credential_shape.h"
#include "keyref/file_lock.h"
#include "keyref/ref.h"

namespace keyref::cli {
namespace {

constexpr std::size_t kMaxFile = 1u << 20;
const char kLockName[] = ".keyref-profiles.lock";

bool EndsWith(const std::string& s, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

Error Invalid(const std::string& message, const std::string& hint = {}) {
  return Error(ErrorCode::kProfileInvalid, message, hint);
}

// The first string (value or member name) anywhere in `j` that is shaped
// like a credential; its JSON pointer goes in `where`.
bool FindCredentialShape(const ProfileJson& j, const std::string& at,
                         std::string* where) {
  if (j.is_string()) {
    const WipedString& s = j.get_ref<const WipedString&>();
    if (FirstCredentialShape({s.data(), s.size()}) != CredentialFamily::kNone) {
      *where = at.empty() ? "/" : at;
      return true;
    }
    return false;
  }
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (FindCredentialShape(j[i], at + "/" + std::to_string(i), where)) {
        return true;
      }
    }
  }
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const WipedString& k = it.key();
      if (FirstCredentialShape({k.data(), k.size()}) !=
          CredentialFamily::kNone) {
        *where = at + "/<name>";
        return true;
      }
      if (FindCredentialShape(it.value(), at + "/" + Plain(k), where)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool ValidProfileId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> ProfileFilesIn(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == kLockName || !EndsWith(name, ".json")) continue;
    if (name[0] == '.' && EndsWith(name, ".tmp")) continue;
    out.push_back(dir + "/" + name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string IdOfFile(const std::string& path) {
  std::size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return EndsWith(name, ".json") ? name.substr(0, name.size() - 5) : name;
}

Result<ProfileJson> ReadProfileFile(const std::string& path) {
  // O_NONBLOCK: a FIFO named like a profile must not hang the command (with
  // the folder's lock held, for migrate); only a regular file is read.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return Invalid("The profile file " + path +
                   " cannot be read: " + std::strerror(errno) + ".");
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Invalid("the file is not a regular file");
  }
  // Into locked, wiped memory: a legacy file may hold a key.
  SecretValue text;
  char buf[4096];
  bool too_large = false;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.Append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFile) {
      too_large = true;
      break;
    }
  }
  SecureZero(buf, sizeof buf);
  close(fd);
  if (too_large) return Invalid("the file is larger than 1 MiB");
  std::string_view v = text.Reveal();
  // No exceptions: a parse_error's text quotes the last token read.
  ProfileJson j = ProfileJson::parse(v.begin(), v.end(), nullptr, false);
  if (j.is_discarded()) return Invalid("the file is not valid JSON");
  if (!j.is_object()) return Invalid("the file is not a JSON object");
  return j;
}

Status ProfileProblem(const ProfileJson& p, const std::string& id) {
  if (p.contains("apiKey")) {
    return Error(ErrorCode::kProfileContainsSecret,
                 "the profile has an apiKey field (a literal key)",
                 "Run keyref migrate on its folder: the key is stored in a "
                 "backend and apiKeyRef names it. Rotate a key that sat in a "
                 "file.");
  }
  std::string where;
  if (FindCredentialShape(p, "", &where)) {
    return Error(ErrorCode::kProfileContainsSecret,
                 "a value at " + where + " is shaped like a credential",
                 "Store the key with keyref secret set NAME and set "
                 "apiKeyRef to the ref it prints. Rotate it.");
  }
  if (p.contains("api_key_env")) {
    return Invalid("the profile has the legacy api_key_env field",
                   "Run keyref migrate on its folder: api_key_env X becomes "
                   "apiKeyRef env:X.");
  }
  for (const char* field : {"id", "label", "provider", "model"}) {
    auto it = p.find(field);
    if (it == p.end() || !it->is_string() ||
        it->get_ref<const WipedString&>().empty()) {
      return Invalid(std::string("/") + field + " is missing or not a string",
                     "See schemas/llm-profile.schema.json.");
    }
  }
  if (Plain(p["id"].get_ref<const WipedString&>()) != id) {
    return Invalid("/id does not match the file name",
                   "Rename the file to <id>.json.");
  }
  auto ref = p.find("apiKeyRef");
  if (ref != p.end()) {
    if (!ref->is_string()) return Invalid("/apiKeyRef is not a string");
    const WipedString& r = ref->get_ref<const WipedString&>();
    Result<ParsedRef> parsed = ParseRef({r.data(), r.size()}, SchemeSet::All());
    if (!parsed.ok()) {
      const Error& e = parsed.error();
      if (e.code == ErrorCode::kRefLiteralSecret) {
        return Error(ErrorCode::kProfileContainsSecret,
                     "apiKeyRef holds a key, not a reference to one", e.hint);
      }
      return Error(e.code, "apiKeyRef: " + e.message, e.hint);
    }
  }
  return {};
}

namespace {

// A temporary file keyref's own WriteFileAtomic left in a profile folder:
// ".<id>.json.<pid>.<16 hex>.tmp" (12 hex from ProfileStore's, the addon).
// Nothing else is removed: migrate works on folders that are not keyref's,
// where an editor's or a build's ".x.tmp" is the user's.
bool IsOwnProfileTemp(const std::string& name) {
  const std::size_t suffix = 4;  // ".tmp"
  if (name.size() < 1 + 1 + 5 + 1 + 1 + 1 + 12 + suffix || name[0] != '.' ||
      !EndsWith(name, ".tmp")) {
    return false;
  }
  std::string rest = name.substr(0, name.size() - suffix);
  std::size_t dot = rest.rfind('.');
  if (dot == std::string::npos || rest.size() - dot - 1 < 12 ||
      rest.size() - dot - 1 > 16) {
    return false;
  }
  for (char c : rest.substr(dot + 1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  rest.resize(dot);
  dot = rest.rfind('.');
  if (dot == std::string::npos || dot + 1 == rest.size()) return false;
  for (char c : rest.substr(dot + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  rest.resize(dot);
  return EndsWith(rest, ".json") &&
         ValidProfileId(rest.substr(1, rest.size() - 6));
}

}  // namespace

Result<std::unique_ptr<DirLock>> DirLock::Take(const std::string& dir) {
  // A folder made here is 0700; one that exists keeps its mode (migrate is
  // pointed at folders that are not keyref's). The lock file is opened as
  // ExclusiveFileLock opens one: never through a symbolic link, never
  // blocking on a FIFO, only a regular file.
  if (Status st = EnsurePrivateDir(dir); !st) return std::move(st).error();
  Result<std::unique_ptr<ExclusiveFileLock>> lock =
      ExclusiveFileLock::Take(dir + "/" + kLockName, std::chrono::seconds(10));
  if (!lock) {
    const Error& e = lock.error();
    return Error(
        e.code,
        "The profile folder " + dir + " could not be locked. " + e.message,
        e.code == ErrorCode::kSourceTimeout
            ? "An editor window may be stuck writing profiles; close it and "
              "retry."
            : e.hint);
  }
  // keyref's temporary files are only written under the lock: any found
  // now belong to a writer that died mid-save (as ProfileStore does).
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (IsOwnProfileTemp(name)) unlink((dir + "/" + name).c_str());
    }
    closedir(d);
  }
  return std::unique_ptr<DirLock>(new DirLock(std::move(lock).value()));
}

Status WriteProfileFile(const std::string& dir, const std::string& id,
                        const ProfileJson& profile) {
  WipedString text = profile.dump(2);
  text.push_back('\n');
  return WriteFileAtomic(dir + "/" + id + ".json", text.data(), text.size());
}

}  // namespace keyref::cli
