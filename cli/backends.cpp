#include "backends.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>

#include "keyref/base_url.h"
#include "keyref/credential_shape.h"
#include "keyref/provider.h"
#include "process.h"

namespace keyref::cli {
namespace {

constexpr std::chrono::milliseconds kPassTimeout{30000};

std::string PassStoreDir() {
  const char* dir = std::getenv("PASSWORD_STORE_DIR");
  if (dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.password-store";
}

bool Exists(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' ||
                        s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

// Classifies a failed `pass insert` / `pass rm` from its stderr, which is
// wiped afterwards and never shown (it may echo input).
Error PassError(RunResult& r, const char* what) {
  Error e;
  if (!r.started) {
    e = Error(ErrorCode::kSourceUnavailable,
              "pass is not installed or not on PATH.",
              "Install pass (Debian: apt install pass), or use the keyring "
              "backend.");
  } else if (r.timed_out) {
    e = Error(ErrorCode::kSourceTimeout,
              std::string("pass did not finish in time; the key was not ") +
                  what + ".",
              "gpg may be waiting for a pinentry; unlock the key with "
              "gpg-agent first.");
  } else if (r.err.find("pass init") != std::string::npos ||
             r.err.find("not initialized") != std::string::npos) {
    e = Error(ErrorCode::kSourceUnavailable,
              "The password store is not set up.",
              "Run: pass init GPG-ID (with a gpg key you hold).");
  } else if (r.err.find("gpg") != std::string::npos) {
    e = Error(ErrorCode::kSourceLocked,
              std::string("gpg could not encrypt for the password store; the "
                          "key was not ") +
                  what + ".",
              "Check `gpg --list-keys` has the key named in the store's "
              ".gpg-id, or run pass init with a key you hold.");
  } else {
    e = Error(ErrorCode::kSourceUnavailable,
              std::string("pass failed (exit ") +
                  std::to_string(r.exit_status) + "); the key was not " + what +
                  ".",
              "Run `pass` in a terminal to see why.");
  }
  SecureZero(r.err.data(), r.err.size());
  return e;
}

// pass without a usable gpg key: the store names an id gpg holds no secret
// key for.
bool PassHasSecretKey(std::string* id) {
  std::ifstream in(PassStoreDir() + "/.gpg-id");
  std::getline(in, *id);
  *id = Trim(*id);
  if (id->empty()) return false;
  RunResult r = RunProgram({"gpg", "--batch", "--list-secret-keys", "--", *id},
                           nullptr, std::chrono::milliseconds(10000));
  SecureZero(r.err.data(), r.err.size());
  return r.started && !r.timed_out && r.exit_status == 0;
}

}  // namespace

const char* BackendName(Backend b) noexcept {
  switch (b) {
    case Backend::kKeyring:
      return "keyring";
    case Backend::kFile:
      return "file";
    case Backend::kPass:
      return "pass";
    case Backend::kOp:
      return "op";
    case Backend::kEnv:
      return "env";
  }
  return "keyring";
}

bool BackendFromName(const std::string& name, Backend* out) noexcept {
  for (Backend b : kAllBackends) {
    if (name == BackendName(b)) {
      *out = b;
      return true;
    }
  }
  return false;
}

Scheme SchemeOf(Backend b) noexcept {
  switch (b) {
    case Backend::kKeyring:
      return Scheme::kKeyring;
    case Backend::kFile:
      return Scheme::kFile;
    case Backend::kPass:
      return Scheme::kPass;
    case Backend::kOp:
      return Scheme::kOp;
    case Backend::kEnv:
      return Scheme::kEnv;
  }
  return Scheme::kKeyring;
}

bool IsWritable(Backend b) noexcept {
  return b == Backend::kKeyring || b == Backend::kFile || b == Backend::kPass;
}

const char* BackendPlace(Backend b) noexcept {
  switch (b) {
    case Backend::kKeyring:
      return "the keyring";
    case Backend::kFile:
      return "the plaintext secrets file";
    case Backend::kPass:
      return "the password store";
    case Backend::kOp:
      return "1Password";
    case Backend::kEnv:
      return "the environment";
  }
  return "the keyring";
}

bool CheckSecretName(Context& ctx, const std::string& name, CliError* err) {
  // A key pasted as the name: refused without echoing it.
  if (FirstCredentialShape(name) != CredentialFamily::kNone) {
    WipeArg(ctx, name);
    *err = CliError{
        "REF_LITERAL_SECRET",
        "The secret name looks like a key itself (" +
            std::string(CredentialFamilyName(FirstCredentialShape(name))) +
            "); it was not used.",
        "Give a name such as openrouter; keyref then prompts "
        "for the key. If the key was typed on a command line, "
        "rotate it (shell history).",
        kExitInvalid};
    return false;
  }
  bool ok =
      !name.empty() && name.size() <= 64 && name[0] != '-' && name[0] != '.';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    *err = CliError{"REF_BAD_NAME",
                    "A secret name is 1-64 characters of A-Z a-z 0-9 . _ - "
                    "and does not start with '-' or '.'.",
                    "e.g. keyref secret set openrouter", kExitInvalid};
  }
  return ok;
}

std::string RefFor(Backend b, const std::string& name) {
  switch (b) {
    case Backend::kKeyring:
      return std::string("keyring:") + kService + "/" + name;
    case Backend::kFile:
      return "file:" + name;
    case Backend::kPass:
      return std::string("pass:") + kService + "/" + name;
    case Backend::kOp:
    case Backend::kEnv:
      break;
  }
  return {};
}

bool NameFromRef(const ParsedRef& ref, Backend* b, std::string* name) {
  const std::string prefix = std::string(kService) + "/";
  if (ref.scheme == Scheme::kKeyring && ref.service == kService) {
    *b = Backend::kKeyring;
    *name = ref.account;
    return true;
  }
  if (ref.scheme == Scheme::kFile && ref.name.find('/') == std::string::npos) {
    *b = Backend::kFile;
    *name = ref.name;
    return true;
  }
  if (ref.scheme == Scheme::kPass && ref.name.rfind(prefix, 0) == 0 &&
      ref.name.find('/', prefix.size()) == std::string::npos) {
    *b = Backend::kPass;
    *name = ref.name.substr(prefix.size());
    return true;
  }
  return false;
}

Backend DefaultBackend(const Config& config) {
  Backend b = Backend::kKeyring;
  if (!BackendFromName(config.default_backend, &b) || !IsWritable(b)) {
    return Backend::kKeyring;
  }
  return b;
}

Policy CliPolicy(const Config& config) {
  Policy p;
  p.allow = SchemeSet::All();
  if (!config.file_backend) {
    p.allow = SchemeSet::FromBits(p.allow.bits() &
                                  ~(1u << static_cast<int>(Scheme::kFile)));
  }
  p.keyring_service = kService;
  return p;
}

bool NoSessionBus() {
  const char* addr = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  if (addr && *addr) return false;
  const char* run = std::getenv("XDG_RUNTIME_DIR");
  return !(run && *run && Exists(std::string(run) + "/bus"));
}

BackendState ProbeBackend(Backend b, const Config& config, Instance& inst) {
  BackendState s;
  s.backend = b;
  s.is_default = DefaultBackend(config) == b;
  s.enabled = b != Backend::kFile || config.file_backend;
  if (!s.enabled) {
    s.state = "disabled";
    s.reason = "the plaintext file backend is opt-in";
    s.hint =
        "Enable it with: keyref backend set file (keys then sit in a "
        "0600 JSON file; prefer the keyring where one runs).";
    return s;
  }
  const std::string file =
      PlaintextFilePath(inst.policy().plaintext_file, *inst.policy().env);
  if (b == Backend::kFile && !Exists(file)) {
    s.state = "reachable";
    s.reason = "no secrets file yet; `keyref secret set` creates " + file;
    return s;
  }
  SourceProbe p = MakeSource(SchemeOf(b),
                             [&] {
                               SourceConfig c;
                               c.keyring_service = kService;
                               c.timeout = inst.policy().resolve_timeout;
                               return c;
                             }())
                      ->Probe();
  s.state = p.available ? "reachable" : "unavailable";
  s.reason = p.reason;
  std::string gpg_id;
  switch (b) {
    case Backend::kKeyring:
      if (!p.available && p.reason.find("locked") != std::string::npos) {
        s.state = "locked";
        s.hint =
            "Unlock the login keyring: log in to the desktop session, or "
            "run gnome-keyring-daemon --unlock (it reads the password on "
            "stdin), then retry.";
      } else if (!p.available &&
                 p.reason.find("libsecret") != std::string::npos) {
        // The prebuilt command loads libsecret at run time
        // (docs/building.md); without it no session bus would help.
        s.hint =
            "Install libsecret (Debian/Ubuntu: libsecret-1-0; "
            "Fedora/RHEL/openSUSE/Arch/Alpine: libsecret), or use the file "
            "backend: keyref backend set file.";
      } else if (!p.available && NoSessionBus()) {
        s.reason =
            "no D-Bus session bus (usual over SSH, in containers "
            "and on headless machines)";
        s.hint =
            "Use the 0600 file backend: keyref backend set file. Or start "
            "a keyring: dbus-run-session -- bash, then "
            "gnome-keyring-daemon --unlock --components=secrets.";
      } else if (!p.available) {
        s.hint =
            "Start a Secret Service (gnome-keyring-daemon --unlock "
            "--components=secrets, or KeePassXC with Secret Service "
            "integration), or use the file backend: keyref backend set "
            "file.";
      }
      break;
    case Backend::kFile:
      if (!p.available) {
        s.hint = "Fix the file's owner and mode (chmod 600 " + file +
                 "; its folder chmod 700); keyref refuses keys others can "
                 "read, as ssh does.";
      }
      break;
    case Backend::kPass:
      if (!p.available && p.reason.find("not installed") != std::string::npos) {
        s.hint = "Install pass (Debian: apt install pass).";
      } else if (!p.available) {
        s.hint = "Run: pass init GPG-ID (with a gpg key you hold).";
      } else if (!PassHasSecretKey(&gpg_id)) {
        s.state = "unavailable";
        s.reason =
            "gpg holds no secret key for the password store's id " + gpg_id;
        s.hint =
            "Import that key, or make one (gpg --quick-generate-key 'You "
            "<you@example.com>') and run pass init with it.";
      }
      break;
    case Backend::kOp:
      if (!p.available) {
        s.hint =
            "Install the 1Password CLI (op) and sign in (op signin); "
            "keyref only reads from it.";
      }
      break;
    case Backend::kEnv:
      break;
  }
  return s;
}

Status StoreInBackend(Instance& inst, Backend b, const std::string& name,
                      const SecretValue& value,
                      const std::vector<OriginPattern>& origins) {
  Result<ParsedRef> ref = ParseRef(RefFor(b, name), SchemeSet::All());
  if (!ref.ok()) return std::move(ref).error();
  if (b != Backend::kPass) {
    StoreOptions options;
    // The record is read (and the key, when the record names one). Not
    // answered (a locked or busy keyring), nothing is stored: the daemon might
    // answer Store's own read, and the record would then be written with the
    // new origins only, the stored ones lost.
    Result<KeyBinding> old = inst.Binding(ref.value(), std::nullopt);
    if (!old.ok() && IsUnanswered(old.error().code)) {
      return std::move(old).error();
    }
    if (old.ok()) {
      for (const BoundOrigin& o : old.value().origins) {
        if (o.source == OriginSource::kStored) {
          options.origins.push_back(o.pattern);
        }
      }
    }
    for (const OriginPattern& o : origins) options.origins.push_back(o);
    return inst.Store(ref.value(), value, options);
  }
  if (Status st = ValidateSecretValue(value); !st) return st;
  // pass insert -m reads until end of input; -f overwrites without asking.
  RunResult r = RunProgram({inst.policy().pass_program, "insert", "-m", "-f",
                            "--", ref.value().name},
                           &value, kPassTimeout);
  if (r.started && !r.timed_out && r.exit_status == 0) {
    SecureZero(r.err.data(), r.err.size());
    return {};
  }
  return PassError(r, "stored");
}

Status DeleteFromBackend(Instance& inst, Backend b, const std::string& name) {
  Result<ParsedRef> ref = ParseRef(RefFor(b, name), SchemeSet::All());
  if (!ref.ok()) return std::move(ref).error();
  if (b != Backend::kPass) return inst.Delete(ref.value());
  if (!Exists(PassStoreDir() + "/" + ref.value().name + ".gpg")) return {};
  RunResult r = RunProgram(
      {inst.policy().pass_program, "rm", "-f", "--", ref.value().name}, nullptr,
      kPassTimeout);
  if (r.started && !r.timed_out && r.exit_status == 0) {
    SecureZero(r.err.data(), r.err.size());
    return {};
  }
  return PassError(r, "removed");
}

std::string HintFor(const ParsedRef& ref, const Error& e,
                    const Config& config) {
  Backend b = Backend::kKeyring;
  std::string name;
  const bool ours = NameFromRef(ref, &b, &name);
  const std::string flag = ours && b != DefaultBackend(config)
                               ? std::string(" --backend ") + BackendName(b)
                               : std::string();
  switch (e.code) {
    case ErrorCode::kSecretNotFound:
      if (ours) return "Run: keyref secret set " + name + flag;
      if (ref.scheme == Scheme::kEnv) {
        return "Set the variable in the environment of the program that "
               "uses the profile (export " +
               ref.name +
               "=…), or store the key with keyref secret set NAME "
               "and point apiKeyRef at the ref it prints.";
      }
      break;
    case ErrorCode::kSourceLocked:
      if (ref.scheme == Scheme::kKeyring) {
        return "Unlock the login keyring: log in to the desktop session, or "
               "run gnome-keyring-daemon --unlock (it reads the password on "
               "stdin), then retry.";
      }
      break;
    case ErrorCode::kSourceUnavailable:
      if (ref.scheme == Scheme::kKeyring) {
        return std::string(NoSessionBus() ? "There is no D-Bus session here "
                                            "(SSH, container, headless). "
                                          : "") +
               "Use the 0600 file backend: keyref backend set file, then "
               "keyref secret set " +
               (ours ? name : std::string("NAME")) +
               "; or start a keyring (dbus-run-session, gnome-keyring-daemon "
               "--unlock --components=secrets).";
      }
      break;
    case ErrorCode::kRefSchemeDisabled:
      if (ref.scheme == Scheme::kFile) {
        return "The file backend is opt-in: keyref backend set file.";
      }
      break;
    default:
      break;
  }
  return e.hint;
}

CliError SecretSchemeError(const std::string& ref_text) {
  return CliError{
      "SOURCE_UNAVAILABLE",
      ref_text +
          " names a key in the editor's own secret store (VS Code "
          "SecretStorage), which a terminal cannot reach.",
      "Check it from the editor. To manage the key from a terminal, store "
      "it with keyref secret set NAME and set the profile's apiKeyRef to the "
      "keyring: ref it prints.",
      kExitBackend};
}

Status AddBinding(Instance& inst, const ParsedRef& ref,
                  const std::vector<OriginPattern>& origins) {
  // Added inside Instance::Bind, under the lock of its write: merged here
  // from a Binding() read before, the origins of a key replaced in between
  // would be recorded for the new key.
  return inst.Bind(ref, origins, /*add=*/true);
}

namespace {

std::string IsoFromMs(std::int64_t ms) {
  if (ms <= 0) return {};
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

KeyInfo DescribeKey(Instance& inst, const ParsedRef& ref,
                    const std::string& provider) {
  KeyInfo info;
  std::optional<Provider> prov;
  Provider p;
  if (ProviderFromName(provider, &p)) prov = p;
  KeyDescription d = inst.Describe(ref, prov);
  info.check = d.check;
  info.origins = d.binding.OriginTexts();
  info.replaced_origins = d.replaced_origins;
  info.binding_problem = d.binding_problem;
  info.stored_at = IsoFromMs(d.stored_at_ms);
  if (!d.check) return info;
  // The installation key behind fingerprints lives in the keyring (the
  // editor's store is out of a terminal's reach), or in the file backend
  // once it is enabled. Without either it is made afresh in every process,
  // so a fingerprint shown here would differ from run to run: none is shown
  // rather than a misleading one.
  static const bool stable = [&inst] {
    if (inst.policy().allow.Has(Scheme::kFile)) return true;
    SourceConfig c;
    c.keyring_service = kService;
    c.timeout = inst.policy().resolve_timeout;
    return MakeSource(Scheme::kKeyring, c)->Probe().available;
  }();
  if (stable) info.fingerprint = d.fingerprint;
  // Length class and shape need the value once more (the cache is off).
  Result<LiveSecret> live = inst.Resolve(ref);
  if (!live.ok()) {
    info.check = std::move(live).error();
    return info;
  }
  const std::string_view v = live.value().value().Reveal();
  info.length_class = v.size() < 20   ? "short"
                      : v.size() < 64 ? "medium"
                                      : "long";
  CredentialFamily f = FirstCredentialShape(v);
  info.shape =
      f == CredentialFamily::kNone ? "unrecognised" : CredentialFamilyName(f);
  return info;
}

CliError BindingProblemError(const Error& problem) {
  CliError e = FromCore(problem);
  e.hint =
      "Bind the key again: keyref secret bind NAME --origin URL (NAME as "
      "keyref secret list shows it), or bindOrigins() from the editor.";
  return e;
}

bool ParseOrigins(const std::vector<std::string>& in,
                  std::vector<OriginPattern>* out, CliError* err) {
  for (const std::string& o : in) {
    Result<OriginPattern> p = ParseOriginPattern(o);
    if (!p.ok()) {
      *err = FromCore(p.error());
      err->message = "--origin: " + err->message;
      return false;
    }
    out->push_back(std::move(p).value());
  }
  return true;
}

std::vector<std::string> OriginTexts(const std::vector<OriginPattern>& in) {
  std::vector<std::string> out;
  for (const OriginPattern& o : in) out.push_back(o.ToString());
  return out;
}

}  // namespace keyref::cli
