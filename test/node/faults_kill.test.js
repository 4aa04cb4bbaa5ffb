'use strict';
// Fault injection: the extension host process SIGKILLed during a profile
// save, an export with secrets (native writer) and a secret store (the
// file: source). Each writer is killed at random moments, several times;
// after each kill the next start must find consistent state: the target
// file is whole (the old version or the new one, valid JSON), and no
// temporary file of the killed writer is left behind once the next writer
// ran (a stale temporary of a secrets writer holds secrets).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ProfileStore, Sidecar } = require('../..');
const { makeOps } = require('./helpers/sidecar_ops');

const CHILD = path.join(__dirname, 'helpers/kill_child.js');
const ROUNDS = 6;

function startAndKill(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let killed = false;
    child.stdout.on('data', (d) => {
      if (!killed && String(d).includes('ready')) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), 5 + crypto.randomInt(120));
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}`))));
  });
}

function leftovers(dir, keep) {
  return fs.readdirSync(dir).filter((n) => !keep.includes(n));
}

test('SIGKILL during an export with secrets: the export is whole, no temporary file survives the next run', { timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-kill-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const profiles = path.join(dir, 'profiles');
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  const value = `killv${crypto.randomBytes(8).toString('hex')}`;
  const { ops } = makeOps({ policy: { allowSecretExport: true } });
  const store = new ProfileStore(profiles, ops);
  for (let i = 0; i < 200; i++) {
    await store.save({ id: `p${i}`, label: `p${i}`, provider: 'openai', model: 'm', apiKeyRef: 'secret:kill/key', headers: { 'X-Pad': 'q'.repeat(500) } });
  }
  const target = path.join(out, 'export.json');
  for (let round = 0; round < ROUNDS; round++) {
    await startAndKill(['export', profiles, target], { KEYREF_KILL_VALUE: value });
    const doc = JSON.parse(fs.readFileSync(target, 'utf8'));  // whole: old or new
    assert.equal(doc.profiles.length, 200);
    assert.equal((fs.statSync(target).mode & 0o777), 0o600);
  }
  // The next start: one more export, not killed, cleans up after the dead.
  await ops.storeSecret('secret:kill/key', value);
  await store.exportProfiles(target, { includeSecrets: true, confirm: () => true });
  assert.deepEqual(leftovers(out, ['export.json']), [], 'a temporary file holding secrets was left');
});

test('SIGKILL during a file: secret store: the file is whole, no temporary file survives the next store', { timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-kill-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'secrets.json');
  const value = `killv${crypto.randomBytes(8).toString('hex')}`;
  for (let round = 0; round < ROUNDS; round++) {
    await startAndKill(['store', file], { KEYREF_KILL_VALUE: value });
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.ok(Object.keys(doc).length >= 1);
    assert.equal((fs.statSync(file).mode & 0o777), 0o600);
  }
  const s = new Sidecar({ policy: { allowSchemes: ['file'], plaintextFile: file } });
  t.after(() => s.close());
  await s.storeSecret('file:after', 'x'.repeat(20));
  assert.deepEqual(await s.check('file:kill0'), { ok: true, scheme: 'file' });
  // The writers' lock file stays; it is empty (docs/sources.md).
  assert.equal(fs.statSync(path.join(dir, '.secrets.json.lock')).size, 0);
  assert.deepEqual(leftovers(dir, ['secrets.json', '.secrets.json.lock']), [], 'a temporary file holding secrets was left');
});

test('SIGKILL during ProfileStore.save: the profile is whole, the next save finds no torn file', { timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-kill-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (let round = 0; round < ROUNDS; round++) {
    await startAndKill(['save', dir], {});
    const p = JSON.parse(fs.readFileSync(path.join(dir, 'victim.json'), 'utf8'));
    assert.match(p.label, /^v\d+$/);
  }
  const store = new ProfileStore(dir, new Sidecar());
  const { profiles, invalid } = await store.list();
  assert.deepEqual(profiles.map((p) => p.id), ['victim']);
  assert.deepEqual(invalid, []);
  await store.save({ id: 'victim', label: 'after', provider: 'openai', model: 'm' });
  assert.equal((await store.list()).profiles[0].label, 'after');
});
