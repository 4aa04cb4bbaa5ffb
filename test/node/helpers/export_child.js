'use strict';
// Child process of profiles_export.test.js: exports the profiles of argv[2]
// with their secrets to argv[3] through the open gate, and prints the report.
// It runs in its own process so that the canary environment variable the
// env: ref names exists only here, never in the test runner's environment.
if (require.main !== module || process.argv.length < 4) return;
const { ProfileStore } = require('../../..');
const { makeOps } = require('./sidecar_ops');

(async () => {
  const { ops } = makeOps({ policy: { allowSecretExport: true } });
  const store = new ProfileStore(process.argv[2], ops);
  let asked = 0;
  const report = await store.exportProfiles(process.argv[3], {
    includeSecrets: true,
    confirm: (info) => { asked += 1; return info.profileIds.length > 0; },
  });
  process.stdout.write(JSON.stringify({ report, asked }));
})().catch((err) => {
  process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message } }));
  process.exitCode = 1;
});
