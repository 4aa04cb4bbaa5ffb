#include "keyref/profile_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>
#include <utility>

#include "keyref/ref.h"
#include "keyref/secret_value.h"
#include "keyref/temp_file.h"

namespace keyref {
namespace {

Error IoError(const char* what, const std::string& path) {
  return Error(ErrorCode::kInternal,
               std::string("Could not ") + what + " the export file " + path +
                   ": " + std::strerror(errno) + ".",
               "Choose a folder you can write to.");
}

void AppendText(SecretValue* out, std::string_view text) {
  out->Append(text.data(), text.size());
}

// Appends `value` as the body of a JSON string. A resolved value passed
// ValidateSecretValue, so it holds no control character; only `"` and `\`
// need escaping. Writes straight into the locked buffer: no std::string copy
// of the secret is ever made.
void AppendJsonStringBody(SecretValue* out, std::string_view value) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '"' || c == '\\') {
      out->Append(value.data() + start, i - start);
      const char escaped[2] = {'\\', c};
      out->Append(escaped, 2);
      start = i + 1;
    }
  }
  out->Append(value.data() + start, value.size() - start);
}

std::string DirName(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes `data` to `path` through a 0600 temporary file in the same folder,
// fsync, rename and fsync of the folder, so a crash leaves the old file or
// the new one, never a torn one.
Status WriteAtomically(const std::string& path, const SecretValue& data) {
  // A writer killed before its rename left its temporary, secrets
  // included: remove those of dead processes (keyref/temp_file.h).
  RemoveDeadWritersTemps(path);
  std::random_device rd;
  std::string tmp = TempPrefixFor(path) + std::to_string(rd());
  int fd = open(tmp.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("create", path);
  // The umask can only remove bits; fchmod makes 0600 exact.
  bool ok = fchmod(fd, 0600) == 0;
  std::string_view bytes = data.Reveal();
  std::size_t done = 0;
  while (ok && done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  int saved = errno;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    unlink(tmp.c_str());
    errno = saved;
    return IoError("write", path);
  }
  int dir = open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return {};
}

}  // namespace

Result<ProfileExportStats> WriteProfileExportWithSecrets(
    Instance& instance, const std::vector<ProfileExportItem>& items,
    const std::string& path, bool user_confirmed) {
  // The native lock on the gate (the other is in addon/ts/profiles.ts). Do
  // not loosen without a maintainer's approval.
  if (!instance.policy().allow_secret_export) {
    return Error(ErrorCode::kExportDenied,
                 "Exporting profiles with their secrets is disabled by the "
                 "policy (allowSecretExport).",
                 "Set policy.allowSecretExport to true, or export without "
                 "secrets.");
  }
  if (!user_confirmed) {
    return Error(ErrorCode::kExportDenied,
                 "Profiles were not exported with their secrets: the export "
                 "was not confirmed. Nothing was written.",
                 "The confirm callback must answer exactly true.");
  }
  if (path.empty() || path.find('\0') != std::string::npos) {
    return Error(ErrorCode::kExportDenied, "The export path is not valid.");
  }
  ProfileExportStats stats;
  // The whole file is assembled in locked, wiped memory: it holds secrets.
  SecretValue out;
  AppendText(&out,
             "{\"format\":\"keyref.llm-profiles\",\"version\":1,"
             "\"includesSecrets\":true,\"profiles\":[");
  for (const ProfileExportItem& item : items) {
    if (stats.profiles > 0) AppendText(&out, ",");
    AppendText(&out, "{\"profile\":");
    AppendText(&out, item.profile_json);
    if (!item.ref.empty()) {
      Result<ParsedRef> parsed = ParseRef(item.ref, instance.policy().allow);
      if (!parsed) return std::move(parsed).error();
      // The secret lives from here to the end of this block (LiveSecret
      // wipes it and tells the redactor to forget it).
      Result<LiveSecret> secret = instance.Resolve(parsed.value());
      if (!secret) return std::move(secret).error();
      AppendText(&out, ",\"apiKey\":\"");
      AppendJsonStringBody(&out, secret.value().value().Reveal());
      AppendText(&out, "\"");
      ++stats.secrets;
    }
    AppendText(&out, "}");
    ++stats.profiles;
  }
  AppendText(&out, "]}\n");
  if (Status st = WriteAtomically(path, out); !st) {
    return std::move(st).error();
  }
  return stats;
}

std::vector<std::string> ProfileExportIds(
    const std::vector<ProfileExportItem>& items) {
  std::vector<std::string> ids;
  ids.reserve(items.size());
  for (const ProfileExportItem& item : items) {
    // Secret-free JSON (see ProfileExportItem); parsed without exceptions.
    nlohmann::json doc =
        nlohmann::json::parse(item.profile_json, nullptr, false);
    auto id = doc.is_object() ? doc.find("id") : doc.end();
    ids.push_back(doc.is_object() && id != doc.end() && id->is_string()
                      ? id->get<std::string>()
                      : std::string());
  }
  return ids;
}

}  // namespace keyref
