#include "sources/cli_source.h"

#include "sources/child_process.h"

namespace keyref::sources {

bool Mentions(const std::string& text,
              std::initializer_list<const char*> needles) {
  for (const char* n : needles) {
    if (text.find(n) != std::string::npos) return true;
  }
  return false;
}

namespace {

Result<SecretValue> Classify(ChildResult& r, const CliDialect& d) {
  using O = ChildResult::Outcome;
  switch (r.outcome) {
    case O::kNotFound:
      return d.texts.not_installed;
    case O::kTimedOut:
      return d.texts.timed_out;
    case O::kTooLarge:
      return d.texts.too_large;
    case O::kSpawnFailed:
      return d.texts.spawn_failed;
    case O::kExited:
      break;
  }
  if (r.exit_status == 0) {
    d.trim(r.out);
    return std::move(r.out);
  }
  r.out.Wipe();
  return d.classify(r.err, r.exit_status);
}

}  // namespace

Result<SecretValue> RunCliSource(const std::vector<std::string>& argv,
                                 const ProcessEnv& env,
                                 std::chrono::milliseconds timeout,
                                 const CliDialect& dialect) {
  ChildResult r = RunChild(argv, env, timeout, kMaxCliOutput);
  Result<SecretValue> out = Classify(r, dialect);
  SecureZero(r.err.data(), r.err.size());
  return out;
}

}  // namespace keyref::sources
