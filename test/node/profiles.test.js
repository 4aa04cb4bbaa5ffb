'use strict';
// ProfileStore: save/load/list/delete, the secret check, invalid files, and
// a canary scan of every file the store wrote and every report it returned.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ProfileStore, containsCredential, isCredentialName } = require('../..');
const { makeOps } = require('./helpers/sidecar_ops');
const { skCanary, plainCanary, assertNoCanary } = require('./helpers/canary');

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-profiles-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'profiles');
}

function profile(id, extra = {}) {
  return { id, label: `Profile ${id}`, provider: 'openai', model: 'gpt-4o-mini', ...extra };
}

function entries(dir) {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

test('the native detector and the name rule behave as documented', () => {
  assert.match(containsCredential(`x ${skCanary()} y`), /sk-/);
  assert.equal(containsCredential('gpt-4o-mini'), null);
  assert.equal(containsCredential('https://api.openai.com/v1'), null);
  for (const n of ['apiKey', 'api_key', 'x-api-key', 'Authorization', 'token', 'client_secret', 'password', 'Cookie', 'key']) {
    assert.equal(isCredentialName(n), true, n);
  }
  for (const n of ['apiKeyRef', 'secretState', 'label', 'model', 'OpenAI-Organization', 'X-Title', 'maxTokens', 'max_tokens']) {
    assert.equal(isCredentialName(n), false, n);
  }
});

test('save, load, list and delete round-trip; files 0600, folder 0700', async (t) => {
  const dir = tmpDir(t);
  const { ops } = makeOps();
  const store = new ProfileStore(dir, ops);
  const p = profile('work.openai', {
    baseUrl: 'https://api.openai.com/v1', apiKeyRef: 'secret:openai/work',
    headers: { 'OpenAI-Organization': 'org-team' }, options: { temperature: 0.2, maxTokens: 512 },
  });
  assert.deepEqual(await store.save(p), p);
  await store.save(profile('local', { provider: 'ollama', model: 'llama3.1', baseUrl: 'http://127.0.0.1:11434' }));
  assert.deepEqual(await store.load('work.openai'), p);
  assert.equal(await store.load('nope'), undefined);
  const listing = await store.list();
  assert.deepEqual(listing.profiles.map((x) => x.id), ['local', 'work.openai']);
  assert.deepEqual(listing.invalid, []);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(dir, 'work.openai.json')).mode & 0o777, 0o600);
  // Ids may start with a dot; such a profile is listed like any other.
  await store.save(profile('.dot'));
  assert.deepEqual((await store.list()).profiles.map((x) => x.id), ['.dot', 'local', 'work.openai']);
  assert.equal(await store.delete('.dot'), true);
  assert.equal(await store.delete('local'), true);
  assert.equal(await store.delete('local'), false);
  assert.deepEqual(entries(dir), ['.keyref-profiles.lock', 'work.openai.json']);
});

test('arguments are checked with precise errors', async (t) => {
  const dir = tmpDir(t);
  const { ops } = makeOps();
  assert.throws(() => new ProfileStore(42, ops), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new ProfileStore(dir, {}), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new ProfileStore(dir, ops, { lockTimeoutMs: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => new ProfileStore(dir, ops, { lockTimeoutMs: '5' }), { code: 'ERR_INVALID_ARG_TYPE' });
  const store = new ProfileStore(dir, ops);
  await assert.rejects(store.load('../etc/passwd'), { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(store.delete(7), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(store.save(null), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(store.migrate({ apiKey: 'guess' }), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('save refuses every way of persisting a credential, writes nothing, and never quotes it', async (t) => {
  const dir = tmpDir(t);
  const { ops, makeLive } = makeOps();
  const store = new ProfileStore(dir, ops);
  await store.save(profile('keep'));
  const before = entries(dir);
  const sk = skCanary();
  const live = plainCanary();
  await makeLive(live);
  const cases = {
    'an apiKey field': profile('a', { apiKey: sk }),
    'an empty apiKey field': profile('a', { apiKey: '' }),
    'a literal key in apiKeyRef': profile('a', { apiKeyRef: sk }),
    'a key after a scheme in apiKeyRef': profile('a', { apiKeyRef: `secret:${sk}` }),
    'a key in the label': profile('a', { label: `mine ${sk}` }),
    'a key in the model': profile('a', { model: sk }),
    'a key in a header value': profile('a', { headers: { 'X-Title': sk } }),
    'a credential header': profile('a', { headers: { Authorization: 'Bearer abc' } }),
    'an x-api-key header': profile('a', { headers: { 'x-api-key': 'abc' } }),
    'a key as a header name': profile('a', { headers: { [sk]: 'x' } }),
    'a nested token field': profile('a', { options: { token: 'abc' } }),
    'a live secret in the label': profile('a', { label: `team ${live}` }),
    'a live secret in baseUrl': profile('a', { baseUrl: `https://example.com/${live}` }),
    'a key parameter in baseUrl': profile('a', { baseUrl: 'https://generativelanguage.googleapis.com/v1?key=abc' }),
    'an api_key parameter in baseUrl': profile('a', { baseUrl: 'https://example.com/v1?api_key=abc&x=1' }),
    'a SAS signature in baseUrl': profile('a', { baseUrl: 'https://example.com/v1?sv=1&sig=abc' }),
    'userinfo in baseUrl': profile('a', { baseUrl: 'https://user:pw@example.com/v1' }),
  };
  const errors = [];
  for (const [what, p] of Object.entries(cases)) {
    const err = await store.save(p).then(() => null, (e) => e);
    assert.ok(err, `${what}: was saved`);
    assert.equal(err.code, 'PROFILE_CONTAINS_SECRET', `${what}: ${err.code} ${err.message}`);
    assert.ok(err.hint, what);
    errors.push(err);
    assert.deepEqual(entries(dir), before, `${what}: something was written`);
  }
  assertNoCanary(assert, [sk, live], { dirs: [dir], values: errors });
  // Not a secret: a query parameter that is not a key, an Azure api-version.
  await store.save(profile('azure', { provider: 'azure-openai',
    baseUrl: 'https://r.openai.azure.com/openai/deployments/d?api-version=2024-06-01' }));
});

test('schema failures are PROFILE_INVALID with the field and rule, and write nothing', async (t) => {
  const dir = tmpDir(t);
  const { ops } = makeOps();
  const store = new ProfileStore(dir, ops);
  const cases = [
    [{ label: 'x', provider: 'openai', model: 'm' }, /missing property id/],
    [profile('bad id'), /\/id: has the wrong form/],
    [profile('a', { extra: 1 }), /unknown property extra/],
    [profile('a', { headers: { 'X-Title': 'a\nb' } }), /\/headers\/<name>: has the wrong form/],
    [profile('a', { options: { temperature: 9 } }), /\/options\/temperature: must be <= 2/],
    [profile('a', { apiKeyRef: 'OPENAI_API_KEY' }), /apiKeyRef: /],
    [profile('a', { api_key_env: 'OPENAI_API_KEY' }), /legacy api_key_env/],
    [profile('a', { baseUrl: 'ftp://x' }), /\/baseUrl/],
  ];
  for (const [p, re] of cases) {
    await assert.rejects(store.save(p), (e) => {
      assert.equal(e.code, 'PROFILE_INVALID', e.message);
      assert.match(e.message, re);
      return true;
    });
  }
  assert.deepEqual(entries(dir).filter((n) => !n.startsWith('.')), []);
});

test('invalid files are reported precisely and set aside, never dropped or overwritten', async (t) => {
  const dir = tmpDir(t);
  const { ops } = makeOps();
  const store = new ProfileStore(dir, ops);
  await store.save(profile('good'));
  const sk = skCanary();
  fs.writeFileSync(path.join(dir, 'broken.json'), `{"id": "broken", ${sk}`);
  fs.writeFileSync(path.join(dir, 'extra.json'), JSON.stringify(profile('extra', { colour: 'red' })));
  fs.writeFileSync(path.join(dir, 'mismatch.json'), JSON.stringify(profile('other')));
  fs.writeFileSync(path.join(dir, 'leaky.json'), JSON.stringify(profile('leaky', { label: sk })));
  fs.writeFileSync(path.join(dir, 'legacy.json'), JSON.stringify({ ...profile('legacy'), apiKey: sk }));
  const listing = await store.list();
  assert.deepEqual(listing.profiles.map((p) => p.id), ['good']);
  const byId = Object.fromEntries(listing.invalid.map((i) => [i.id, i]));
  assert.deepEqual(Object.keys(byId).sort(), ['broken', 'extra', 'leaky', 'legacy', 'mismatch']);
  assert.equal(byId.broken.message, 'the file is not valid JSON');
  assert.match(byId.extra.message, /unknown property colour/);
  assert.match(byId.mismatch.message, /does not match the file name/);
  for (const id of ['broken', 'extra', 'mismatch']) {
    assert.equal(byId[id].code, 'PROFILE_INVALID');
    assert.match(path.basename(byId[id].setAsideAs), new RegExp(`^${id}\\.json\\.invalid-`));
    assert.equal(fs.existsSync(byId[id].setAsideAs), true);
  }
  // A file holding a key, and a legacy one, stay where they are.
  assert.equal(byId.leaky.code, 'PROFILE_CONTAINS_SECRET');
  assert.equal(byId.leaky.setAsideAs, undefined);
  assert.equal(byId.legacy.legacy, true);
  assert.equal(fs.existsSync(path.join(dir, 'legacy.json')), true);
  assertNoCanary(assert, [sk], { values: [listing] });
  // Set-aside files keep being reported; the broken content is intact.
  const again = await store.list();
  assert.equal(again.invalid.filter((i) => /set aside earlier/.test(i.message)).length, 3);
  assert.equal(fs.readFileSync(byId.broken.setAsideAs, 'utf8'), `{"id": "broken", ${sk}`);
  // load() of an invalid file throws and sets it aside.
  fs.writeFileSync(path.join(dir, 'late.json'), '[]');
  await assert.rejects(store.load('late'), (e) => e.code === 'PROFILE_INVALID' && /set aside as late\.json\.invalid-/.test(e.message));
  // Saving over a legacy file would lose its key: refused.
  await assert.rejects(store.save(profile('legacy')), { code: 'PROFILE_INVALID' });
});

test('a profile saved without a secret holds only its ref; the key stays in the store', async (t) => {
  const dir = tmpDir(t);
  const { ops, storage } = makeOps();
  const store = new ProfileStore(dir, ops);
  const sk = skCanary();
  await ops.storeSecret('secret:openai/me', sk);
  await store.save(profile('me', { apiKeyRef: 'secret:openai/me' }));
  assert.equal(await storage.get('openai/me'), sk);
  const text = fs.readFileSync(path.join(dir, 'me.json'), 'utf8');
  assert.equal(JSON.parse(text).apiKeyRef, 'secret:openai/me');
  assertNoCanary(assert, [sk], { dirs: [dir], values: [await store.list()] });
});

test('the schema file itself refuses apiKey, credential headers and unknown options', () => {
  const Ajv2020 = require('ajv/dist/2020');
  const addFormats = require('ajv-formats');
  const ajv = new Ajv2020();
  addFormats(ajv);
  ajv.addSchema(require('../../schemas/apikeyref.schema.json'));
  const validate = ajv.compile(require('../../schemas/llm-profile.schema.json'));
  assert.equal(validate(profile('a', { apiKeyRef: 'env:X', headers: { 'OpenAI-Organization': 'o' } })), true);
  for (const name of ['Authorization', 'proxy-authorization', 'x-api-key', 'API-KEY', 'x-goog-api-key',
    'Cookie', 'ocp-apim-subscription-key', 'X-Auth-Token']) {
    assert.equal(validate(profile('a', { headers: { [name]: 'v' } })), false, name);
  }
  assert.equal(validate(profile('a', { apiKey: 'v' })), false);
  assert.equal(validate(profile('a', { options: { apiKey: 'v' } })), false);
  assert.equal(validate(profile('a', { apiKeyRef: 'OPENAI_API_KEY' })), false);
  // Every place the schemas define apiKeyRef says what it may hold and why.
  const messages = require('../../schemas/webview-messages.schema.json');
  const found = [];
  const walk = (node) => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      // Every definition, including one that also points at
      // apikeyref.schema.json; a bare local pointer (#/$defs/…) is a use.
      const localPointer = v && typeof v.$ref === 'string' && v.$ref.startsWith('#') && !v.description;
      if (k === 'apiKeyRef' && v && typeof v === 'object' && !localPointer) found.push(v);
      walk(v);
    }
  };
  walk(require('../../schemas/llm-profile.schema.json'));
  walk(messages);
  assert.ok(found.length >= 2);
  for (const def of found) assert.match(def.description, /never the key.*because/s);
});

test('a save waiting for another holder of the lock gives up after lockTimeoutMs', async (t) => {
  const dir = tmpDir(t);
  const { ops } = makeOps();
  const store = new ProfileStore(dir, ops, { lockTimeoutMs: 100 });
  await store.save(profile('first'));
  const { withDirLock } = require('../../addon/dist/profiles.js');
  let release;
  const held = withDirLock(dir, 1000, () => new Promise((r) => { release = r; }));
  await new Promise((r) => setTimeout(r, 20));
  const started = Date.now();
  await assert.rejects(store.save(profile('second')), (e) => e.code === 'INTERNAL' && /lock/.test(e.message));
  assert.ok(Date.now() - started < 5000);
  release();
  await held;
  await store.save(profile('second'));  // the lock is free again
  assert.deepEqual((await store.list()).profiles.map((p) => p.id), ['first', 'second']);
});

// Something planted at the lock's path is refused with SOURCE_DENIED and a
// hint naming the path, as the CLI refuses it. Before, a FIFO made save()
// reject with Node's bare ENXIO (no keyref code, no hint) and a folder with
// EISDIR; a regular file that was not one was INTERNAL.
test('a FIFO, a folder or a symbolic link at the lock path is SOURCE_DENIED naming the path', async (t) => {
  const { spawnSync } = require('node:child_process');
  const plants = {
    fifo: (p) => assert.equal(spawnSync('mkfifo', [p]).status, 0, 'mkfifo'),
    folder: (p) => fs.mkdirSync(p),
    link: (p) => fs.symlinkSync(path.join(path.dirname(p), 'elsewhere'), p),
  };
  for (const [kind, plant] of Object.entries(plants)) {
    const dir = tmpDir(t);
    const store = new ProfileStore(dir, makeOps().ops, { lockTimeoutMs: 1000 });
    await store.save(profile('first'));
    const lock = path.join(dir, '.keyref-profiles.lock');
    fs.rmSync(lock);
    plant(lock);
    const started = Date.now();
    await assert.rejects(store.save(profile('second')), (e) => {
      assert.equal(e.code, 'SOURCE_DENIED', `${kind}: ${e.code} ${e.message}`);
      assert.ok(e.message.includes(lock), `${kind}: the message names the lock file`);
      assert.ok(e.hint && e.hint.includes(lock), `${kind}: the hint names the lock file`);
      assert.match(e.message, kind === 'link' ? /symbolic link/ : /not a regular file/, kind);
      return true;
    }, kind);
    assert.ok(Date.now() - started < 5000, `${kind}: refused at once, not after a wait`);
    assert.deepEqual(entries(dir).filter((f) => f.endsWith('.json')), ['first.json'], `${kind}: nothing written`);
    fs.rmSync(lock, { recursive: true });
    await store.save(profile('second'));  // works once it is gone
  }
});

// readProfileText says with a flag, not in its prose, that a path is not a
// regular file (the store leaves such a path where it is). Before, the
// store matched /regular/ on the message.
test('readProfileText flags what is not a regular file as special, and only that', async (t) => {
  const { readProfileText, MAX_FILE_BYTES } = require('../../addon/dist/profile_files.js');
  const dir = tmpDir(t);
  fs.mkdirSync(dir, { recursive: true });
  const { spawnSync } = require('node:child_process');
  assert.equal(spawnSync('mkfifo', [path.join(dir, 'pipe.json')]).status, 0, 'mkfifo');
  fs.symlinkSync('/dev/zero', path.join(dir, 'zero.json'));
  fs.mkdirSync(path.join(dir, 'folder.json'));
  fs.writeFileSync(path.join(dir, 'big.json'), Buffer.alloc(MAX_FILE_BYTES + 1, 0x20));
  fs.writeFileSync(path.join(dir, 'fine.json'), '{}');
  for (const name of ['pipe.json', 'zero.json', 'folder.json']) {
    const got = await readProfileText(path.join(dir, name));
    assert.equal(got.special, true, name);
    assert.equal(typeof got.problem, 'string', name);
  }
  const big = await readProfileText(path.join(dir, 'big.json'));
  assert.equal(big.special, false);
  assert.match(big.problem, /larger than/);
  assert.deepEqual(await readProfileText(path.join(dir, 'fine.json')), { text: '{}' });
});

// What is not a regular file in the folder (a FIFO, a link to a device) is
// reported, never read: before, a FIFO named x.json kept list() waiting
// forever on a libuv thread, and a link to /dev/zero (size 0, endless) grew
// memory to hundreds of MB and rejected without a code.
test('list() reports a FIFO or a link to a device as PROFILE_INVALID and returns', async (t) => {
  const dir = tmpDir(t);
  const store = new ProfileStore(dir, makeOps().ops);
  await store.save(profile('fine'));
  const { spawnSync } = require('node:child_process');
  const fifo = spawnSync('mkfifo', [path.join(dir, 'pipe.json')]).status === 0;
  fs.symlinkSync('/dev/zero', path.join(dir, 'zero.json'));
  let timer;
  const listing = await Promise.race([store.list(), new Promise((resolve) => {
    timer = setTimeout(() => resolve('hung'), 10000);
  })]);
  clearTimeout(timer);
  assert.notEqual(listing, 'hung', 'list() did not return within 10 s');
  assert.deepEqual(listing.profiles.map((p) => p.id), ['fine']);
  const bad = Object.fromEntries(listing.invalid.map((i) => [i.id, i]));
  for (const id of fifo ? ['pipe', 'zero'] : ['zero']) {
    assert.equal(bad[id].code, 'PROFILE_INVALID', id);
    assert.match(bad[id].message, /not a regular file/, id);
    assert.equal(bad[id].setAsideAs, undefined, `${id} is left where it is`);
  }
  assert.ok(fs.lstatSync(path.join(dir, 'zero.json')).isSymbolicLink());
});

// The store removes only its own dead writers' temporary files
// (.<id>.json.<pid>.<hex>.tmp), never another program's .x.tmp.
test('a save removes a dead writer\'s temporary file and leaves other programs\' .tmp files', async (t) => {
  const dir = tmpDir(t);
  const store = new ProfileStore(dir, makeOps().ops);
  await store.save(profile('first'));
  const ours = '.first.json.4242.0123456789ab.tmp';
  const theirs = ['.editor-swap.tmp', '.build.tmp', '.notes.json.tmp'];
  for (const f of [ours, ...theirs]) fs.writeFileSync(path.join(dir, f), 'x');
  await store.save(profile('second'));
  assert.ok(!fs.existsSync(path.join(dir, ours)));
  for (const f of theirs) assert.equal(fs.readFileSync(path.join(dir, f), 'utf8'), 'x', f);
});
