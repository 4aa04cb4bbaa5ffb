'use strict';
// exportProfiles: secret-free by default; with secrets only through the
// gate (policy.allowSecretExport AND confirm answering true), written by
// native code with mode 0600. Every refusal writes nothing.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ProfileStore } = require('../..');
const { makeOps } = require('./helpers/sidecar_ops');
const { skCanary, assertNoCanary } = require('./helpers/canary');

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-export-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function seed(dir, ops, canary) {
  const store = new ProfileStore(path.join(dir, 'profiles'), ops);
  await ops.storeSecret('secret:keyref/profiles/stored', canary);
  await store.save({ id: 'stored', label: 'S', provider: 'openai', model: 'gpt-4o', apiKeyRef: 'secret:keyref/profiles/stored' });
  await store.save({ id: 'envref', label: 'E', provider: 'anthropic', model: 'claude', apiKeyRef: 'env:KEYREF_TEST_CANARY_KEY' });
  await store.save({ id: 'local', label: 'L', provider: 'ollama', model: 'llama3.1' });
  return store;
}

test('the default export is secret-free, 0600, and lists refs', async (t) => {
  const dir = tmpDir(t);
  const { ops } = makeOps();
  const sk = skCanary();
  const store = await seed(dir, ops, sk);
  const file = path.join(dir, 'out', 'profiles.json');
  fs.mkdirSync(path.dirname(file));
  const report = await store.exportProfiles(file);
  assert.deepEqual(report, { file, profiles: 3, secrets: 0, includesSecrets: false, skipped: [] });
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(doc.format, 'keyref.llm-profiles');
  assert.equal(doc.includesSecrets, false);
  assert.deepEqual(doc.profiles.map((e) => e.profile.apiKeyRef),
    ['env:KEYREF_TEST_CANARY_KEY', undefined, 'secret:keyref/profiles/stored']);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assertNoCanary(assert, [sk], { dirs: [dir], values: [report] });
});

test('with includeSecrets, every closed gate is EXPORT_DENIED and writes nothing', async (t) => {
  const dir = tmpDir(t);
  const sk = skCanary();
  const file = path.join(dir, 'secrets.json');
  const closed = makeOps();  // policy.allowSecretExport defaults to false
  const open = makeOps({ policy: { allowSecretExport: true } });
  const store = await seed(dir, closed.ops, sk);
  const openStore = new ProfileStore(path.join(dir, 'profiles'), open.ops);
  let asked = 0;
  const yes = () => { asked += 1; return true; };
  const cases = [
    ['policy closed, confirm yes', store, { includeSecrets: true, confirm: yes }, /allowSecretExport/],
    ['policy open, no confirm', openStore, { includeSecrets: true }, /no confirm/],
    ['policy open, confirm no', openStore, { includeSecrets: true, confirm: () => false }, /not confirmed/],
    ['policy open, confirm truthy but not true', openStore, { includeSecrets: true, confirm: () => 'yes' }, /not confirmed/],
    ['policy open, confirm throws', openStore, { includeSecrets: true, confirm: () => { throw new Error(sk); } }, /confirm callback failed/],
    ['policy open, confirm rejects', openStore, { includeSecrets: true, confirm: async () => { throw new Error('x'); } }, /confirm callback failed/],
  ];
  const errors = [];
  for (const [what, s, opts, re] of cases) {
    const err = await s.exportProfiles(file, opts).then(() => null, (e) => e);
    assert.ok(err, what);
    assert.equal(err.code, 'EXPORT_DENIED', what);
    assert.match(err.message, re, what);
    assert.equal(fs.existsSync(file), false, `${what}: a file was written`);
    errors.push(err);
  }
  assert.equal(asked, 0, 'the modal is not shown when the policy forbids the export');
  // A store not given a real Sidecar cannot export secrets at all.
  const bare = { redact: (s) => s, check: async () => ({ ok: true, scheme: 'env' }), storeSecret: async () => {}, deleteSecret: async () => {} };
  await assert.rejects(new ProfileStore(path.join(dir, 'profiles'), bare).exportProfiles(file, { includeSecrets: true, confirm: yes }),
    { code: 'EXPORT_DENIED' });
  await assert.rejects(store.exportProfiles(file, { includeSecrets: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(fs.existsSync(file), false);
  assertNoCanary(assert, [sk], { dirs: [dir], values: errors });
});

test('an open gate with a ref that does not resolve fails and writes nothing', async (t) => {
  const dir = tmpDir(t);
  const { ops } = makeOps({ policy: { allowSecretExport: true } });
  const store = new ProfileStore(path.join(dir, 'profiles'), ops);
  const name = `KEYREF_TEST_UNSET_${process.pid}`;
  assert.equal(process.env[name], undefined);
  await store.save({ id: 'p', label: 'P', provider: 'openai', model: 'm', apiKeyRef: `env:${name}` });
  const file = path.join(dir, 'secrets.json');
  await assert.rejects(store.exportProfiles(file, { includeSecrets: true, confirm: () => true }), { code: 'SECRET_NOT_FOUND' });
  assert.deepEqual(fs.readdirSync(dir), ['profiles']);
});

test('the open gate: native code writes the keys (0600); nothing returned to JS holds one', async (t) => {
  const dir = tmpDir(t);
  const sk = skCanary();
  const { ops } = makeOps();
  const store = new ProfileStore(path.join(dir, 'profiles'), ops);
  await store.save({ id: 'envref', label: 'E', provider: 'anthropic', model: 'claude', apiKeyRef: 'env:KEYREF_TEST_CANARY_KEY' });
  await store.save({ id: 'local', label: 'L', provider: 'ollama', model: 'llama3.1' });
  const file = path.join(dir, 'with-secrets.json');
  // The canary lives in the child's environment only (see export_child.js).
  const out = execFileSync(process.execPath, [path.join(__dirname, 'helpers', 'export_child.js'), path.join(dir, 'profiles'), file],
    { env: { ...process.env, KEYREF_TEST_CANARY_KEY: sk }, encoding: 'utf8', timeout: 30000 });
  assert.equal(out.includes(sk), false, 'the child printed the key');
  const { report, asked, error } = JSON.parse(out);
  assert.equal(error, undefined);
  assert.equal(asked, 1);
  assert.deepEqual(report, { file, profiles: 2, secrets: 1, includesSecrets: true, skipped: [] });
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(doc.includesSecrets, true);
  assert.equal(doc.profiles[0].profile.id, 'envref');
  assert.equal(doc.profiles[0].apiKey, sk);  // the one place a key is meant to be
  assert.equal(doc.profiles[1].apiKey, undefined);
  fs.rmSync(file);
  assertNoCanary(assert, [sk], { dirs: [dir] });  // the profile files never held it
});
