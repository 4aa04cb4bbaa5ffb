'use strict';
// The addon loader (addon/ts/native.ts, node-gyp-build): which binary a
// require of keyref loads, and the error when there is none.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

function loadedAddon(env) {
  const probe = "require(process.argv[1]); console.log(Object.keys(require.cache)" +
    ".filter((f) => f.endsWith('.node')).join('\\n'));";
  return spawnSync(process.execPath, ['-e', probe, root],
    { encoding: 'utf8', env: { ...process.env, ...env } });
}

const prebuild = path.join(root, 'prebuilds', `linux-${process.arch}`, 'keyref.napi.glibc.node');

// scripts/test.sh always has the prebuild (it runs after `npm run
// prebuild`); a bare `node --test` in a fresh checkout may not.
test('PREBUILDS_ONLY=1 loads the prebuild for this platform, never build/',
  { skip: !fs.existsSync(prebuild) && 'no prebuild: run npm run prebuild' }, () => {
  const r = loadedAddon({ PREBUILDS_ONLY: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [prebuild]);
});

test('the suite itself runs on the prebuild when scripts/test.sh says so', () => {
  if (!process.env.PREBUILDS_ONLY) return;
  const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
  require('../..');
  const now = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
  assert.ok(now.concat(loaded).every((f) => f.includes(`${path.sep}prebuilds${path.sep}`)), now.join(', '));
});

test('no binary anywhere: ADDON_NOT_BUILT saying how to build one', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-loader-'));
  try {
    fs.writeFileSync(path.join(empty, 'package.json'), '{"name":"keyref"}');
    const probe = "try { require(process.argv[1]); } catch (e) { console.log(e.code + '\\n' + e.message); }";
    const r = spawnSync(process.execPath, ['-e', probe, root], {
      encoding: 'utf8', env: { ...process.env, PREBUILDS_ONLY: '1', KEYREF_PREBUILD: empty },
    });
    assert.equal(r.status, 0, r.stderr);
    const [code, ...message] = r.stdout.trim().split('\n');
    assert.equal(code, 'ADDON_NOT_BUILT');
    assert.match(message.join('\n'), /npm rebuild keyref/);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
