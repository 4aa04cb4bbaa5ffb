#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "keyref/file_lock.h"

namespace keyref::cli {
namespace {

std::string DirOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string RandomHex() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

Error IoError(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kInternal,
               what + " " + path + ": " + std::strerror(errno) + ".",
               "Check the folder exists, is yours and is writable.");
}

}  // namespace

std::string ConfigDir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/keyref";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.config/keyref";
}

std::string ConfigPath() { return ConfigDir() + "/config.json"; }

std::string ProfilesDir(const Config& config) {
  return config.profiles_dir.empty() ? ConfigDir() + "/profiles"
                                     : config.profiles_dir;
}

Status EnsurePrivateDir(const std::string& dir) {
  struct stat sb;
  if (stat(dir.c_str(), &sb) == 0) return {};
  const std::string parent = DirOf(dir);
  if (parent != dir && parent != "/" && parent != ".") {
    if (Status st = EnsurePrivateDir(parent); !st) return st;
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("Cannot create the folder", dir);
  }
  return {};
}

Status WriteFileAtomic(const std::string& path, const char* data,
                       std::size_t size) {
  const std::string dir = DirOf(path);
  const std::string tmp = dir + "/." + BaseOf(path) + "." +
                          std::to_string(getpid()) + "." + RandomHex() + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("Cannot write", path);
  fchmod(fd, 0600);  // the umask can only remove bits; make it exact
  bool ok = true;
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = IoError("Cannot write", path);
    unlink(tmp.c_str());
    return e;
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return {};
}

Result<Config> LoadConfig(const std::string& path) {
  Config c;
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return c;
    return IoError("Cannot read the keyref config", path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::ordered_json j =
      nlohmann::ordered_json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kInternal,
                 "The keyref config " + path + " is not a JSON object.",
                 "Fix it or delete it (it holds settings and names only; "
                 "`keyref backend set` writes a new one).");
  }
  auto str = [&j](const char* key, std::string* out) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) *out = it->get<std::string>();
  };
  str("defaultBackend", &c.default_backend);
  str("profilesDir", &c.profiles_dir);
  str("activeProfile", &c.active_profile);
  if (auto it = j.find("fileBackend"); it != j.end() && it->is_boolean()) {
    c.file_backend = it->get<bool>();
  }
  if (auto it = j.find("secrets"); it != j.end() && it->is_object()) {
    for (auto& [name, rec] : it->items()) {
      if (!rec.is_object()) continue;
      SecretRecord r;
      r.backend = rec.value("backend", "");
      r.ref = rec.value("ref", "");
      r.stored_at = rec.value("storedAt", "");
      c.secrets[name] = r;
    }
  }
  for (const char* known : {"version", "defaultBackend", "fileBackend",
                            "profilesDir", "activeProfile", "secrets"}) {
    j.erase(known);
  }
  c.rest = std::move(j);
  return c;
}

namespace {

Status WriteConfig(const std::string& path, const Config& c) {
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["defaultBackend"] = c.default_backend;
  j["fileBackend"] = c.file_backend;
  if (!c.profiles_dir.empty()) j["profilesDir"] = c.profiles_dir;
  if (!c.active_profile.empty()) j["activeProfile"] = c.active_profile;
  nlohmann::ordered_json secrets = nlohmann::ordered_json::object();
  for (const auto& [name, r] : c.secrets) {
    secrets[name] = {
        {"backend", r.backend}, {"ref", r.ref}, {"storedAt", r.stored_at}};
  }
  j["secrets"] = secrets;
  for (auto& [k, v] : c.rest.items()) j[k] = v;
  const std::string text = j.dump(2) + "\n";
  return WriteFileAtomic(path, text.data(), text.size());
}

}  // namespace

Status UpdateConfig(const std::string& path,
                    const std::function<void(Config*)>& change,
                    Config* result) {
  const std::string dir = DirOf(path);
  if (Status st = EnsurePrivateDir(dir); !st) return st;
  // The config itself cannot carry the lock: each write renames a new file
  // over it, and a lock on the old inode stops no one.
  auto lock = ExclusiveFileLock::Take(dir + "/." + BaseOf(path) + ".lock",
                                      std::chrono::seconds(10));
  if (!lock.ok()) return std::move(lock).error();
  Result<Config> now = LoadConfig(path);
  if (!now.ok()) return std::move(now).error();
  Config c = std::move(now).value();
  change(&c);
  if (Status st = WriteConfig(path, c); !st) return st;
  *result = std::move(c);
  return {};
}

}  // namespace keyref::cli
