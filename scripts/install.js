'use strict';
// npm's install step: keep the prebuild when one matches this platform and
// loads here; otherwise build from source (scripts/build-addon.js). In a
// git checkout there are no prebuilds until `npm run prebuild`, so this
// builds from source, as before. KEYREF_BUILD_FROM_SOURCE=1 forces a build.
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');

function prebuildLoads() {
  if (process.env.KEYREF_BUILD_FROM_SOURCE) return false;
  // A child process: a prebuild that fails to load (a missing library, an
  // older glibc) must not take this process down, and PREBUILDS_ONLY keeps
  // a stale build/ from answering for it.
  const probe = "const f = require('node-gyp-build').resolve(process.argv[1]); " +
    "require(f); console.log(f);";
  const r = spawnSync(process.execPath, ['-e', probe, root], {
    cwd: root, encoding: 'utf8', env: { ...process.env, PREBUILDS_ONLY: '1' },
  });
  if (r.status === 0) {
    console.log(`keyref: using the prebuilt addon ${path.relative(root, r.stdout.trim())}`);
    return true;
  }
  const why = (r.stderr || '').split('\n').find((l) => l.trim()) || 'no prebuild matches';
  console.log(`keyref: no usable prebuild (${why.trim()}); building from source`);
  return false;
}

if (!prebuildLoads()) {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build-addon.js')],
    { cwd: root, stdio: 'inherit' });
  process.exit(r.status === null ? 1 : r.status);
}
