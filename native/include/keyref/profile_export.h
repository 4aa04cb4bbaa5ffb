// Exporting LLM profiles WITH their secrets: the one place where keyref
// writes secret values to a file. The JavaScript layer never sees them: it
// hands over the secret-free profiles and their refs, and this code resolves
// each ref, writes the file (mode 0600) and wipes its buffers.
//
// The gate in front of it (policy.allowSecretExport AND a confirm callback
// that answers exactly true) is kept twice: in addon/ts/profiles.ts and in
// native code (here and addon/src/sidecar_export.cc, which calls the
// callback itself). It must not be loosened without a maintainer's explicit
// approval: no raw secret reaches a persisted file (docs/invariants.md), and
// this is its only, deliberate exception. What the gate can and cannot stop:
// docs/threat-model.md, "Export gate, log file, test hooks".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "keyref/error.h"
#include "keyref/instance.h"

namespace keyref {

// One profile of an export.
struct ProfileExportItem {
  // The profile serialised as a JSON object. Secret-free: the profile store
  // checked it (PROFILE_CONTAINS_SECRET) before handing it over.
  std::string profile_json;
  // The profile's apiKeyRef (a ref such as env:NAME, never a key), or empty
  // when the profile has none.
  std::string ref;
};

// What an export wrote: counts only, never a value.
struct ProfileExportStats {
  std::size_t profiles = 0;
  std::size_t secrets = 0;
};

// Resolves every item's ref through `instance` (blocking: call it off the JS
// thread) and writes `path` atomically (temporary file in the same folder,
// fsync, rename, fsync of the folder) with mode 0600:
//   {"format":"keyref.llm-profiles","version":1,"includesSecrets":true,
//    "profiles":[{"profile":{…},"apiKey":"…"},…]}
// Refuses with EXPORT_DENIED, before resolving anything, unless the
// instance's policy allows secret export AND `user_confirmed` says the
// host's confirm callback, called by the addon's native code, answered
// exactly true. Any resolution failure aborts the export and writes nothing.
Result<ProfileExportStats> WriteProfileExportWithSecrets(
    Instance& instance, const std::vector<ProfileExportItem>& items,
    const std::string& path, bool user_confirmed);

// The "id" of each item's profile JSON ("" when it has none), for the
// confirm callback: the user confirms the profiles that will be written.
std::vector<std::string> ProfileExportIds(
    const std::vector<ProfileExportItem>& items);

}  // namespace keyref
