'use strict';
// Migration of legacy profiles: each legacy shape, each explicit choice, no
// guessing from the value, no plaintext left anywhere, reports without values.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ProfileStore, migrateProfiles } = require('../..');
const { makeOps } = require('./helpers/sidecar_ops');
const { skCanary, plainCanary, assertNoCanary } = require('./helpers/canary');

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-migrate-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o700);
  return dir;
}

function legacy(dir, id, fields) {
  const p = { id, label: `Legacy ${id}`, provider: 'openai', model: 'gpt-4o', ...fields };
  fs.writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(p, null, 2), { mode: 0o644 });
}

function read(dir, id) {
  return JSON.parse(fs.readFileSync(path.join(dir, `${id}.json`), 'utf8'));
}

test("a legacy apiKey is stored as a profile-scoped secret by default; no plaintext copy is left", async (t) => {
  const dir = tmpDir(t);
  const { ops, storage } = makeOps();
  const sk = skCanary();
  const plain = plainCanary();  // not key-shaped: the rule is the field, not the shape
  legacy(dir, 'shaped', { apiKey: sk });
  legacy(dir, 'plain', { apiKey: plain });
  legacy(dir, 'empty', { apiKey: '' });
  fs.writeFileSync(path.join(dir, 'modern.json'), JSON.stringify({ id: 'modern', label: 'M', provider: 'openai', model: 'x' }));
  const report = await new ProfileStore(dir, ops).migrate();
  const byId = Object.fromEntries(report.map((e) => [e.id, e]));
  assert.deepEqual(byId.shaped, { id: 'shaped', file: path.join(dir, 'shaped.json'), action: 'migrated',
    from: ['apiKey'], how: 'stored-secret', apiKeyRef: 'secret:keyref/profiles/shaped' });
  assert.equal(byId.plain.how, 'stored-secret');
  assert.equal(byId.empty.how, 'dropped-empty');
  assert.equal(byId.empty.apiKeyRef, undefined);
  assert.equal(byId.modern.action, 'unchanged');
  assert.equal(await storage.get('keyref/profiles/shaped'), sk);
  assert.equal(await storage.get('keyref/profiles/plain'), plain);
  assert.equal(read(dir, 'shaped').apiKeyRef, 'secret:keyref/profiles/shaped');
  assert.equal('apiKey' in read(dir, 'shaped'), false);
  assert.equal(fs.statSync(path.join(dir, 'shaped.json')).mode & 0o777, 0o600);
  // No backup, no temporary file: exactly the profiles and the lock.
  assert.deepEqual(fs.readdirSync(dir).sort(),
    ['.keyref-profiles.lock', 'empty.json', 'modern.json', 'plain.json', 'shaped.json']);
  assertNoCanary(assert, [sk, plain], { dirs: [dir], values: [report] });
  // The result loads as ordinary profiles.
  const listing = await new ProfileStore(dir, ops).list();
  assert.equal(listing.profiles.length, 4);
  assert.deepEqual(listing.invalid, []);
  // Running again changes nothing.
  assert.ok((await migrateProfiles(dir, ops)).every((e) => e.action === 'unchanged'));
});

test('api_key_env becomes env:NAME; a bad name is refused and the file left', async (t) => {
  const dir = tmpDir(t);
  const { ops, storage } = makeOps();
  const sk = skCanary();
  legacy(dir, 'envy', { api_key_env: 'OPENAI_API_KEY' });
  legacy(dir, 'badname', { api_key_env: '1NOPE' });
  legacy(dir, 'keyinenv', { api_key_env: sk });
  const report = await migrateProfiles(dir, ops);
  const byId = Object.fromEntries(report.map((e) => [e.id, e]));
  assert.equal(byId.envy.how, 'env');
  assert.equal(byId.envy.apiKeyRef, 'env:OPENAI_API_KEY');
  assert.equal(read(dir, 'envy').apiKeyRef, 'env:OPENAI_API_KEY');
  assert.equal('api_key_env' in read(dir, 'envy'), false);
  assert.equal(byId.badname.action, 'failed');
  assert.equal(byId.badname.code, 'REF_BAD_NAME');
  assert.equal(read(dir, 'badname').api_key_env, '1NOPE');
  assert.equal(byId.keyinenv.action, 'failed');
  assert.equal(byId.keyinenv.code, 'PROFILE_CONTAINS_SECRET');
  assert.equal(storage.map.size, 0);
  assertNoCanary(assert, [sk], { values: [report] });
});

test("apiKey: 'env-name' reads the value as a variable name, and never keeps a key", async (t) => {
  const dir = tmpDir(t);
  const { ops, storage } = makeOps();
  const sk = skCanary();
  legacy(dir, 'named', { apiKey: 'ANTHROPIC_API_KEY' });
  legacy(dir, 'actualkey', { apiKey: sk });
  const report = await new ProfileStore(dir, ops).migrate({ apiKey: 'env-name' });
  const byId = Object.fromEntries(report.map((e) => [e.id, e]));
  assert.equal(byId.named.how, 'env-name');
  assert.equal(read(dir, 'named').apiKeyRef, 'env:ANTHROPIC_API_KEY');
  assert.equal(byId.actualkey.action, 'failed');
  assert.equal(byId.actualkey.code, 'PROFILE_CONTAINS_SECRET');
  assert.match(byId.actualkey.message, /store-secret/);
  assert.equal(storage.map.size, 0);
  assertNoCanary(assert, [sk], { values: [report] });
});

test('ambiguous legacy profiles are refused, not guessed', async (t) => {
  const dir = tmpDir(t);
  const { ops, storage } = makeOps();
  const sk = skCanary();
  legacy(dir, 'both', { apiKey: sk, api_key_env: 'X' });
  legacy(dir, 'withref', { apiKey: sk, apiKeyRef: 'env:X' });
  legacy(dir, 'authheader', { apiKey: sk, headers: { Authorization: 'Bearer x' } });
  legacy(dir, 'notstring', { apiKey: 42 });
  const report = await migrateProfiles(dir, ops);
  for (const e of report) {
    assert.equal(e.action, 'failed', e.id);
    assert.ok(e.code && e.message, e.id);
  }
  assert.equal(Object.fromEntries(report.map((e) => [e.id, e])).authheader.code, 'PROFILE_CONTAINS_SECRET');
  assert.equal(storage.map.size, 0, 'nothing stored for a refused profile');
  assertNoCanary(assert, [sk], { values: [report] });
});

test('a storeSecret failure leaves the file as it was and reports the code only', async (t) => {
  const dir = tmpDir(t);
  const { ops } = makeOps();
  const sk = skCanary();
  legacy(dir, 'x', { apiKey: `${sk}\n` });  // a control character: SECRET_MALFORMED
  const report = await migrateProfiles(dir, ops);
  assert.equal(report[0].action, 'failed');
  assert.equal(report[0].code, 'SECRET_MALFORMED');
  assert.equal(read(dir, 'x').apiKey, `${sk}\n`);
  assertNoCanary(assert, [sk], { values: [report] });
});

// A legacy profile reached through a symbolic link or a second hard link
// (a dotfiles checkout): before, it was reported "migrated" while the file
// the other name points to still held the key. Now it is refused, nothing
// is stored and both names are left as they were.
test('a symlinked or hard-linked legacy profile is refused, its key left nowhere new', async (t) => {
  const dir = tmpDir(t);
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-dotfiles-'));
  t.after(() => fs.rmSync(elsewhere, { recursive: true, force: true }));
  const key = skCanary();
  legacy(elsewhere, 'sym', { apiKey: key });
  fs.symlinkSync(path.join(elsewhere, 'sym.json'), path.join(dir, 'sym.json'));
  legacy(elsewhere, 'hard', { apiKey: key });
  fs.linkSync(path.join(elsewhere, 'hard.json'), path.join(dir, 'hard.json'));
  const { ops, storage } = makeOps();
  const report = await new ProfileStore(dir, ops).migrate();
  const byId = Object.fromEntries(report.map((e) => [e.id, e]));
  for (const id of ['sym', 'hard']) {
    assert.equal(byId[id].action, 'failed', id);
    assert.equal(byId[id].code, 'PROFILE_INVALID', id);
    assert.match(byId[id].message, id === 'sym' ? /symbolic link/ : /hard link/);
  }
  assert.ok(fs.lstatSync(path.join(dir, 'sym.json')).isSymbolicLink());
  assert.equal(fs.statSync(path.join(dir, 'hard.json')).nlink, 2);
  assert.equal(storage.map.size, 0, 'no key was stored for a file that stays as it is');
  assertNoCanary(JSON.stringify(report), key, 'the report');
});
