'use strict';
// Canary proof: a secret resolved through the public surface never reaches
// JavaScript. Two unique canaries are planted where only native code reads
// them: one in the environment of a CHILD process (set by this parent, so
// the child's only copy is the native environ; the child never touches
// process.env for it), one in the real keyring (written by secret-tool from
// this parent). The child resolves both through the public API — check(),
// with the cache on so the values stay live in native memory — plus
// status(), failing checks, errors and options.log, then writes a V8 heap
// snapshot. This parent searches everything the child handed to JS (its
// printed results, errors, log lines, stdout, stderr) and the whole JS heap
// for the canaries.
//
// A positive control makes the search able to fail: the child then copies
// both values into JS on purpose (process.env read, `secret-tool lookup`)
// and writes a second snapshot, in which both canaries must be found.
//
// Run under scripts/with-keyring.sh.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

// Runs inside the child. Receives no canary, only where to find them.
const CHILD = String.raw`
'use strict';
const v8 = require('node:v8');
const { execFileSync } = require('node:child_process');
const { Sidecar } = require(process.argv[1]);
const [, , service, account, snapDir, control] = process.argv;
(async () => {
  const seen = [];
  const logLines = [];
  const s = new Sidecar({
    policy: { cacheTtlMs: 600000, allowSchemes: ['secret', 'env', 'keyring', 'file'] },
    log: (...args) => logLines.push(args),
    secretStorage: { async get() { return undefined; }, async store() {}, async delete() {} },
  });
  for (let i = 0; i < 3; i++) {
    seen.push(await s.check('env:KEYREF_CANARY_ENV'));
    seen.push(await s.check('keyring:' + service + '/' + account));
  }
  seen.push(await s.check('keyring:' + service + '/missing-' + account));
  seen.push(await s.check('env:KEYREF_CANARY_NOT_SET'));
  seen.push(await s.status());
  try { await s.storeSecret('env:KEYREF_CANARY_ENV', 'x'); } catch (e) {
    seen.push({ name: e.name, message: e.message, code: e.code, hint: e.hint, stack: e.stack });
  }
  seen.push(s.redact('nothing to redact here'));
  // Values stay live in native memory (cache on) while the heap is written.
  const ok = seen.slice(0, 6).every((r) => r.ok === true);
  global.gc && global.gc();
  const snap = v8.writeHeapSnapshot(snapDir + '/after-resolve.heapsnapshot');
  let controlSnap = null;
  if (control === 'control') {
    // Positive control: bring both values into JS on purpose.
    global.leakedEnv = process.env.KEYREF_CANARY_ENV;
    global.leakedKeyring = execFileSync('secret-tool',
      ['lookup', 'service', service, 'account', account], { encoding: 'utf8' });
    controlSnap = v8.writeHeapSnapshot(snapDir + '/control.heapsnapshot');
  }
  console.log(JSON.stringify({ ok, seen, logLines, snap, controlSnap }));
  s.close();
})().catch((e) => { console.error('child failed', e && e.code, e && e.message); process.exit(2); });
`;

test('canaries resolved via env: and keyring: never reach the JS heap or any output', () => {
  // Random letters+digits, not shaped like any provider key.
  const canaryEnv = `cnryENV${crypto.randomBytes(12).toString('hex')}`;
  const canaryKr = `cnryKR${crypto.randomBytes(12).toString('hex')}`;
  const service = `keyref-canary-${crypto.randomInt(1e9)}`;
  const account = 'alice';
  execFileSync('secret-tool', ['store', '--label=canary', 'service', service, 'account', account],
    { input: canaryKr });
  const snapDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-canary-'));
  try {
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD, root, service, account, snapDir, 'control'], {
      env: { ...process.env, KEYREF_CANARY_ENV: canaryEnv },
      encoding: 'utf8',
      timeout: 120000,
    });
    assert.equal(r.status, 0, `child failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.equal(out.ok, true, `resolution failed: ${JSON.stringify(out.seen)}`);

    const fragments = (c) => [c, c.slice(0, 16), c.slice(-16)];
    const everything = r.stdout + r.stderr + JSON.stringify(out);
    for (const c of [canaryEnv, canaryKr]) {
      for (const f of fragments(c)) {
        assert.ok(!everything.includes(f), 'canary in results, errors, logs or output');
      }
    }

    const heap = fs.readFileSync(out.snap);
    assert.ok(heap.length > 1e6, 'a real heap snapshot');
    for (const c of [canaryEnv, canaryKr]) {
      for (const f of fragments(c)) {
        assert.equal(heap.indexOf(Buffer.from(f, 'utf8')), -1, 'canary in the JS heap (utf8)');
        assert.equal(heap.indexOf(Buffer.from(f, 'utf16le')), -1, 'canary in the JS heap (utf16)');
      }
    }

    // Positive control: the same search finds both once JS holds them.
    const control = fs.readFileSync(out.controlSnap);
    assert.notEqual(control.indexOf(Buffer.from(canaryEnv)), -1, 'control: env canary found');
    assert.notEqual(control.indexOf(Buffer.from(canaryKr)), -1, 'control: keyring canary found');
  } finally {
    execFileSync('secret-tool', ['clear', 'service', service]);
    fs.rmSync(snapDir, { recursive: true, force: true });
  }
});
