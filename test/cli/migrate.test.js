'use strict';
// keyref migrate on a legacy folder (real keyring, scripts/with-keyring.sh):
// api_key_env -> env:, a literal apiKey stored only after an explicit yes,
// every file atomic, and afterwards a canary scan of every file in the
// folder and the config: no 8-character run of the key anywhere.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Sidecar, ProfileStore } = require('../..');
const { newUser, run, runJson, runPty, canary, filesLeaking, assertProfile } = require('./helpers');

function legacyFolder(user, key) {
  const dir = path.join(user.dir, 'legacy');
  fs.mkdirSync(dir, { mode: 0o700 });
  const put = (id, doc) => fs.writeFileSync(path.join(dir, `${id}.json`), `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  put('envp', { id: 'envp', label: 'Env', provider: 'openai', model: 'gpt-4o', api_key_env: 'OPENAI_API_KEY' });
  put('lit', { id: 'lit', label: 'Literal', provider: 'openai-compatible', model: 'm',
    baseUrl: 'http://127.0.0.1:9099/v1', apiKey: key });
  put('fine', { id: 'fine', label: 'Fine', provider: 'openai', model: 'm', apiKeyRef: 'env:OPENAI_API_KEY' });
  put('both', { id: 'both', label: 'Both', provider: 'openai', model: 'm', apiKey: 'x', api_key_env: 'X' });
  return dir;
}

function snapshot(dir) {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n), 'utf8')]));
}

test('migrate --dry-run shows what would change, never a value, and changes nothing', () => {
  const user = newUser();
  const key = canary('dry');
  const dir = legacyFolder(user, key);
  const before = snapshot(dir);
  const r = runJson(user, 'migrate', ['migrate', dir, '--dry-run']);
  assert.equal(r.status, 3, 'the file with both fields fails');
  assert.ok(!r.stdout.includes(key.slice(0, 10)));
  assert.deepEqual(r.body.entries.map((e) => [e.id, e.action, e.how, e.apiKeyRef]), [
    ['both', 'failed', undefined, undefined],
    ['envp', 'would-migrate', 'env', 'env:OPENAI_API_KEY'],
    ['fine', 'unchanged', undefined, undefined],
    ['lit', 'would-migrate', 'stored-secret', 'keyring:keyref/lit'],
  ]);
  assert.deepEqual(snapshot(dir), before);
  const text = run(user, ['migrate', dir, '--dry-run']);
  assert.ok(!(text.stdout + text.stderr).includes(key.slice(0, 10)));
});

test('migrate without a yes leaves the literal file as it is', () => {
  const user = newUser();
  const key = canary('noyes');
  const dir = legacyFolder(user, key);
  const lit = fs.readFileSync(path.join(dir, 'lit.json'), 'utf8');
  const r = runJson(user, 'migrate', ['migrate', dir], { detached: true });
  const e = r.body.entries.find((x) => x.id === 'lit');
  assert.equal(e.action, 'failed');
  assert.equal(e.error.code, 'CLI_NO_TERMINAL');
  assert.equal(fs.readFileSync(path.join(dir, 'lit.json'), 'utf8'), lit);
  assert.equal(r.body.entries.find((x) => x.id === 'envp').action, 'migrated');
  // Answered "n" at the prompt: unchanged too.
  const no = runPty(user, ['migrate', dir], [['[y/N] ', 'n\r']]);
  assert.match(no.output, /unchanged {2}lit/);
  assert.equal(fs.readFileSync(path.join(dir, 'lit.json'), 'utf8'), lit);
});

test('migrate after yes: key in the keyring, bound to the profile origin, no trace of it in any file', async () => {
  const user = newUser();
  const key = canary('yes');
  const dir = legacyFolder(user, key);
  const r = runPty(user, ['migrate', dir], [['[y/N] ', 'y\r']]);
  assert.equal(r.status, 3, r.output);  // "both" fails; the rest migrate
  assert.match(r.output, /migrated {2}lit {2}-> apiKeyRef keyring:keyref\/lit \(stored-secret\)/);
  assert.ok(!r.output.includes(key.slice(0, 10)));
  // Canary scan: the profile folder (hidden files too: no backup, no
  // temporary file) and the CLI's config folder.
  assert.deepEqual(filesLeaking(dir, key), []);
  assert.deepEqual(filesLeaking(user.config, key), []);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['.keyref-profiles.lock', 'both.json', 'envp.json', 'fine.json', 'lit.json']);
  const lit = JSON.parse(fs.readFileSync(path.join(dir, 'lit.json'), 'utf8'));
  assert.equal(lit.apiKeyRef, 'keyring:keyref/lit');
  assertProfile(lit);
  assert.equal(fs.statSync(path.join(dir, 'lit.json')).mode & 0o777, 0o600);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'envp.json'), 'utf8')).apiKeyRef, 'env:OPENAI_API_KEY');
  assert.equal(fs.readFileSync(path.join(dir, 'both.json'), 'utf8').includes('"apiKey": "x"'), true);
  const s = new Sidecar();
  try {
    assert.deepEqual(await s.check('keyring:keyref/lit'), { ok: true, scheme: 'keyring' });
    assert.ok((await s.describe('keyring:keyref/lit')).origins.includes('http://127.0.0.1:9099'));
    const { profiles } = await new ProfileStore(dir, s).list();
    assert.deepEqual(profiles.map((p) => p.id), ['envp', 'fine', 'lit']);
  } finally {
    s.close();
  }
  // Again: nothing left to migrate.
  const again = runJson(user, 'migrate', ['migrate', path.join(dir, 'lit.json'), '--yes']);
  assert.deepEqual(again.body.entries.map((e) => e.action), ['unchanged']);
  assert.equal(again.status, 0);
});
