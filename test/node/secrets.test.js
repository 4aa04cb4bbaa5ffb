'use strict';
// Secret resolution through the public surface: check, status, storeSecret,
// deleteSecret, the host store (plain objects: one that works, one that
// rejects, one that throws, one that never answers), the real keyring
// (scripts/with-keyring.sh) and the plaintext file. Run under
// scripts/with-keyring.sh.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { Sidecar } = require('../..');

// Digits only: a long hex run would look like a key (REF_LITERAL_SECRET).
const rand = (p) => `${p}${crypto.randomInt(1e9)}`;

function mapStore(initial = {}) {
  const map = new Map(Object.entries(initial));
  const calls = [];
  return {
    map,
    calls,
    async get(k) { calls.push(['get', k]); return map.get(k); },
    async store(k, v) { calls.push(['store', k]); map.set(k, v); },
    async delete(k) { calls.push(['delete', k]); map.delete(k); },
  };
}

function secretTool(...args) {
  return execFileSync('secret-tool', args, { encoding: 'utf8' });
}

test('the host store is asked only when a secret is needed', async () => {
  const store = mapStore({ openai: 'sk-host-value-1' });
  const s = new Sidecar({ secretStorage: store });
  assert.deepEqual(store.calls, []);
  assert.deepEqual(await s.check('secret:openai'), { ok: true, scheme: 'secret' });
  assert.deepEqual(store.calls, [['get', 'openai']]);
  const miss = await s.check('secret:other');
  assert.equal(miss.ok, false);
  assert.equal(miss.code, 'SECRET_NOT_FOUND');
  assert.match(miss.hint, /storeSecret/);
  s.close();
});

test('storeSecret / deleteSecret go to the host store; nothing reads back', async () => {
  const store = mapStore();
  const s = new Sidecar({ secretStorage: store });
  assert.equal(await s.storeSecret('secret:a/b', 'v-123'), undefined);
  assert.equal(store.map.get('a/b'), 'v-123');
  assert.deepEqual(await s.check('secret:a/b'), { ok: true, scheme: 'secret' });
  assert.equal(await s.deleteSecret('secret:a/b'), undefined);
  assert.equal(store.map.has('a/b'), false);
  assert.equal((await s.check('secret:a/b')).code, 'SECRET_NOT_FOUND');
  for (const name of Object.getOwnPropertyNames(Sidecar.prototype)) {
    assert.doesNotMatch(name, /^(get|read|resolve|reveal|list)/i, `no ${name} method`);
  }
  s.close();
});

test('a host store whose get() rejects gives a clean error, never a crash', async () => {
  const s = new Sidecar({
    secretStorage: {
      get: async () => { throw new Error('backend exploded: sk-leaky-detail-777'); },
      store: async () => { throw new Error('nope'); },
      delete: () => Promise.reject(new Error('nope')),
    },
  });
  const r = await s.check('secret:k');
  assert.equal(r.ok, false);
  assert.equal(r.code, 'SOURCE_UNAVAILABLE');
  assert.match(r.message, /get\(\) rejected/);
  assert.doesNotMatch(JSON.stringify(r), /leaky/);
  await assert.rejects(s.storeSecret('secret:k', 'v'), { code: 'SOURCE_UNAVAILABLE' });
  await assert.rejects(s.deleteSecret('secret:k'), { code: 'SOURCE_UNAVAILABLE' });
  s.close();
});

test('a host store whose get() throws synchronously gives a clean error', async () => {
  const s = new Sidecar({
    secretStorage: {
      get() { throw new TypeError('sync throw sk-leaky-888'); },
      store() { throw new Error('x'); },
      delete() { throw new Error('x'); },
    },
  });
  const r = await s.check('secret:k');
  assert.equal(r.code, 'SOURCE_UNAVAILABLE');
  assert.match(r.message, /get\(\) threw/);
  assert.doesNotMatch(JSON.stringify(r), /leaky/);
  await assert.rejects(s.storeSecret('secret:k', 'v'), (e) => {
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'SOURCE_UNAVAILABLE');
    return true;
  });
  s.close();
});

test('a host store that never answers times out (SOURCE_TIMEOUT)', async () => {
  const s = new Sidecar({
    policy: { resolveTimeoutMs: 150 },
    secretStorage: { get: () => new Promise(() => {}), store: async () => {}, delete: async () => {} },
  });
  const t0 = Date.now();
  const r = await s.check('secret:k');
  assert.equal(r.code, 'SOURCE_TIMEOUT');
  assert.ok(Date.now() - t0 < 5000);
  s.close();
});

test('plain synchronous values and non-strings from get()', async () => {
  const s = new Sidecar({
    secretStorage: {
      get: (k) => ({ sync: 'sync-value', num: 42, nl: 'a\nb', empty: '' }[k]),
      store() {}, delete() {},
    },
  });
  assert.deepEqual(await s.check('secret:sync'), { ok: true, scheme: 'secret' });
  assert.equal((await s.check('secret:num')).code, 'SECRET_MALFORMED');
  assert.equal((await s.check('secret:nl')).code, 'SECRET_MALFORMED');
  assert.equal((await s.check('secret:empty')).code, 'SECRET_MALFORMED');
  assert.equal((await s.check('secret:missing')).code, 'SECRET_NOT_FOUND');
  s.close();
});

test('without secretStorage, secret: refs are SOURCE_UNAVAILABLE with a hint', async () => {
  const s = new Sidecar();
  const r = await s.check('secret:x');
  assert.equal(r.code, 'SOURCE_UNAVAILABLE');
  assert.match(r.hint, /secretStorage/);
  s.close();
});

test('check() reports parse codes as results and never quotes a literal key', async () => {
  const s = new Sidecar();
  const key = 'sk-proj-' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6';
  const lit = await s.check(key);
  assert.equal(lit.ok, false);
  assert.equal(lit.code, 'REF_LITERAL_SECRET');
  assert.doesNotMatch(JSON.stringify(lit), /A1b2C3d4/);
  assert.equal((await s.check('OPENAI_API_KEY')).code, 'REF_NO_SCHEME');
  assert.equal((await s.check('pass:x')).code, 'REF_SCHEME_DISABLED');
  assert.equal((await s.check('')).code, 'REF_EMPTY');
  s.close();
});

test('arguments are checked; every method returns a promise', async () => {
  const s = new Sidecar();
  await assert.rejects(s.check(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(s.storeSecret('secret:x', 42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(s.deleteSecret(null), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new Sidecar({ secretStorage: { get() {} } }),
    { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new Sidecar({ log: 'x' }), { name: 'TypeError' });
  // options.log is accepted (wired by the logging feature).
  new Sidecar({ log: () => {} }).close();
  s.close();
});

test('storeSecret refuses malformed values and read-only schemes', async () => {
  const s = new Sidecar({ secretStorage: mapStore() });
  await assert.rejects(s.storeSecret('secret:x', 'a\r\nb'), { code: 'SECRET_MALFORMED' });
  await assert.rejects(s.storeSecret('secret:x', ''), { code: 'SECRET_MALFORMED' });
  await assert.rejects(s.storeSecret('env:X', 'v'), { code: 'SOURCE_DENIED' });
  await assert.rejects(s.storeSecret('nonsense', 'v'), { code: 'REF_NO_SCHEME' });
  s.close();
});

test('status() lists every scheme', async () => {
  const s = new Sidecar({ secretStorage: mapStore(), policy: { allowSchemes: ['secret', 'env', 'keyring', 'op'] } });
  const st = await s.status();
  assert.deepEqual(st.map((x) => x.scheme), ['secret', 'env', 'keyring', 'op', 'pass', 'file']);
  const by = Object.fromEntries(st.map((x) => [x.scheme, x]));
  assert.deepEqual(by.secret, { scheme: 'secret', enabled: true, available: true });
  assert.equal(by.keyring.available, true, by.keyring.reason);
  assert.equal(by.op.enabled, true);
  assert.equal(by.op.available, false);
  assert.match(by.op.reason, /not installed/);
  assert.equal(by.file.enabled, false);
  assert.match(by.file.reason, /disabled/);
  s.close();
});

test('keyring: keyref writes, secret-tool reads; secret-tool writes, keyref reads', async () => {
  const service = rand('keyref-node-');
  const s = new Sidecar();
  try {
    await s.storeSecret(`keyring:${service}/alice`, 'kr-value-1');
    assert.equal(secretTool('lookup', 'service', service, 'account', 'alice'), 'kr-value-1');
    execFileSync('secret-tool', ['store', '--label=t', 'service', service, 'account', 'bob'],
      { input: 'kr-value-2' });
    assert.deepEqual(await s.check(`keyring:${service}/bob`), { ok: true, scheme: 'keyring' });
    assert.equal((await s.check(`keyring:${service}/carol`)).code, 'SECRET_NOT_FOUND');
    await s.deleteSecret(`keyring:${service}/alice`);
    assert.equal((await s.check(`keyring:${service}/alice`)).code, 'SECRET_NOT_FOUND');
  } finally {
    execFileSync('secret-tool', ['clear', 'service', service]);
    s.close();
  }
});

test('file: store creates a 0600 file; a readable file is refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-file-'));
  const file = path.join(dir, 'secrets.json');
  const s = new Sidecar({ policy: { allowSchemes: ['file'], plaintextFile: file } });
  try {
    await s.storeSecret('file:openai', 'file-value-1');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(await s.check('file:openai'), { ok: true, scheme: 'file' });
    fs.chmodSync(file, 0o644);
    const r = await s.check('file:openai');
    assert.equal(r.code, 'SOURCE_DENIED');
    assert.match(r.hint, /chmod 600/);
    fs.chmodSync(file, 0o600);
    await s.deleteSecret('file:openai');
    assert.equal((await s.check('file:openai')).code, 'SECRET_NOT_FOUND');
  } finally {
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the cache: one host get for repeated checks, invalidated by store and delete, wiped by close', async () => {
  const store = mapStore({ k: 'v1' });
  const s = new Sidecar({ secretStorage: store, policy: { cacheTtlMs: 60000 } });
  await s.check('secret:k');
  await s.check('secret:k');
  await s.check('secret:k');
  // Reads of the key itself (storeSecret also reads the binding record it
  // replaces, keyref:origins:k).
  const keyGets = () => store.calls.filter((c) => c[0] === 'get' && c[1] === 'k').length;
  assert.equal(keyGets(), 1);
  await s.storeSecret('secret:k', 'v2');
  await s.check('secret:k');
  assert.equal(keyGets(), 2);
  await s.deleteSecret('secret:k');
  assert.equal((await s.check('secret:k')).code, 'SECRET_NOT_FOUND');
  s.close();
  await assert.rejects(s.check('secret:k'), { code: 'INTERNAL' });
  await assert.rejects(s.storeSecret('secret:k', 'v'), { code: 'INTERNAL' });
});

test('200 concurrent checks across host store, keyring and env', async () => {
  const service = rand('keyref-conc-');
  execFileSync('secret-tool', ['store', '--label=t', 'service', service, 'account', 'a'], { input: 'cv' });
  process.env.KEYREF_CONC_TEST = 'ev';
  const store = mapStore({ k: 'hv' });
  const s = new Sidecar({ secretStorage: store });
  try {
    const refs = [];
    for (let i = 0; i < 200; i++) {
      refs.push([`secret:k`, `keyring:${service}/a`, 'env:KEYREF_CONC_TEST', `keyring:${service}/missing`][i % 4]);
    }
    const results = await Promise.all(refs.map((r) => s.check(r)));
    results.forEach((r, i) => {
      if (refs[i].endsWith('/missing')) assert.equal(r.code, 'SECRET_NOT_FOUND');
      else assert.equal(r.ok, true, `${refs[i]}: ${r.message}`);
    });
  } finally {
    execFileSync('secret-tool', ['clear', 'service', service]);
    delete process.env.KEYREF_CONC_TEST;
    s.close();
  }
});

// Values are capped at 64 KiB (docs/threat-model.md, "Bounded resources"):
// a value at the cap goes through the host store; 1 MB is refused, never
// copied or fingerprinted (secret_cap.test.js covers the refusal).
test('a 64 KiB value through the host store; 1 MB is refused', async () => {
  const s = new Sidecar({ secretStorage: mapStore({ cap: 'k'.repeat(64 << 10), big: 'k'.repeat(1 << 20) }) });
  assert.deepEqual(await s.check('secret:cap'), { ok: true, scheme: 'secret' });
  const r = await s.check('secret:big');
  assert.equal(r.code, 'SECRET_MALFORMED');
  s.close();
});
