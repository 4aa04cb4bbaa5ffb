'use strict';
// Keys bound to origins (docs/origins.md), against real loopback servers on
// 127.0.0.1 and 127.0.0.2: a changed baseUrl gets KEY_ORIGIN_DENIED and the
// other server sees no connection at all; provider defaults; bound loopback
// http; wildcards; https -> http never; no binding from a profile file, a
// request option, the webview or a workspace-shaped settings object;
// fingerprints stable across processes; the audit trail.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const keyref = require('../..');
const { makeKey, envRef, assertNoTrace, startServer, makeCerts } = require('./helpers/request_helpers');
const { memorySecretStorage } = require('./helpers/sidecar_ops');

const { Sidecar, originOf, chat } = keyref;
const FP = /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/;

// A server on `host` that counts TCP connections as well as requests: "no
// request at all" means not even a connection.
async function startCounting(host, port = 0) {
  const seen = { connections: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    seen.requests += 1;
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  server.on('connection', () => { seen.connections += 1; });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    seen, port: server.address().port, url: `http://${host}:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-origins-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a baseUrl switched to another port or to 127.0.0.2: KEY_ORIGIN_DENIED, and that server gets no connection', async (t) => {
  const home = await startServer((req, res) => res.end('{"ok":true}'));
  const otherPort = await startCounting('127.0.0.1');
  // Same port as home, other loopback address (falls back to any port when
  // that one is taken on 127.0.0.2).
  const otherHost = await startCounting('127.0.0.2', home.port).catch(() => startCounting('127.0.0.2'));
  t.after(async () => { await home.close(); await otherPort.close(); await otherHost.close(); });

  const key = makeKey('O');
  const storage = memorySecretStorage();
  const sidecar = new Sidecar({ secretStorage: storage });
  t.after(() => sidecar.close());
  // The person typed the key with its server's URL: the binding is recorded
  // with the key, in the same store.
  await sidecar.storeSecret('secret:local/llm', key, { origins: [originOf(`${home.url}/v1`)] });
  assert.deepEqual([...storage.map.keys()].sort(), ['keyref:origins:local/llm', 'local/llm']);
  assertNoTrace(storage.map.get('keyref:origins:local/llm'), key, 'binding record');

  const profile = { provider: 'openai-compatible', apiKeyRef: 'secret:local/llm', path: '/chat/completions',
    body: { model: 'm', messages: [] } };
  const ok = await sidecar.request({ ...profile, baseUrl: `${home.url}/v1` });
  assert.equal(ok.status, 200);
  assert.equal(home.requests.at(-1).headers.authorization, `Bearer ${key}`);

  for (const target of [otherPort, otherHost]) {
    await assert.rejects(sidecar.request({ ...profile, baseUrl: `${target.url}/v1` }), (err) => {
      assert.equal(err.code, 'KEY_ORIGIN_DENIED');
      assert.match(err.message, /openai-compatible/);
      assert.ok(err.message.includes(target.url), err.message);
      // The hint says how to bind, in one step, and never holds the key.
      assert.match(err.hint, /storeSecret\('secret:local\/llm', key, \{ origins: \['http:\/\/127\.0\.0\.\d:\d+'\] \}\)/);
      assert.match(err.hint, /policy\.origins/);
      assertNoTrace(`${err.message} ${err.hint} ${err.stack}`, key, 'error');
      return true;
    });
    assert.deepEqual(target.seen, { connections: 0, requests: 0 }, target.url);
  }
  // chat() takes the same path.
  await assert.rejects(chat(sidecar, { provider: 'openai-compatible', baseUrl: otherHost.url,
    apiKeyRef: 'secret:local/llm', model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  { code: 'KEY_ORIGIN_DENIED' });
  assert.deepEqual(otherHost.seen, { connections: 0, requests: 0 });
});

test('a key with no binding for a provider with no default: KEY_ORIGIN_UNBOUND, with a one-step hint', async (t) => {
  const srv = await startCounting('127.0.0.1');
  t.after(() => srv.close());
  const ref = envRef(makeKey('U'));
  const sidecar = new Sidecar();
  t.after(() => sidecar.close());
  for (const provider of ['openai-compatible', 'litellm', 'azure-openai']) {
    await assert.rejects(sidecar.request({ provider, baseUrl: srv.url, apiKeyRef: ref }), (err) => {
      assert.equal(err.code, 'KEY_ORIGIN_UNBOUND', provider);
      assert.ok(err.message.includes(provider));
      assert.ok(err.hint.includes(`policy.origins['${ref}']`), err.hint);
      assert.ok(err.hint.includes(`'${srv.url}'`), err.hint);
      return true;
    });
  }
  assert.deepEqual(srv.seen, { connections: 0, requests: 0 });
  // Following the hint works.
  const bound = new Sidecar({ policy: { origins: { [ref]: [srv.url] } } });
  t.after(() => bound.close());
  assert.equal((await bound.request({ provider: 'litellm', baseUrl: srv.url, apiKeyRef: ref })).status, 200);
  assert.equal(srv.seen.requests, 1);
});

test('provider defaults: openai, anthropic, gemini, openrouter keys go to their own origin only', async (t) => {
  const srv = await startCounting('127.0.0.1');
  t.after(() => srv.close());
  const ref = envRef(makeKey('D'));
  const sidecar = new Sidecar();
  t.after(() => sidecar.close());
  const defaults = {
    openai: 'https://api.openai.com', anthropic: 'https://api.anthropic.com',
    gemini: 'https://generativelanguage.googleapis.com', openrouter: 'https://openrouter.ai',
  };
  for (const [provider, origin] of Object.entries(defaults)) {
    assert.deepEqual((await sidecar.describe(ref, { provider })).origins, [origin]);
    // Only that origin: a loopback baseUrl (a workspace's, say) is refused.
    await assert.rejects(sidecar.request({ provider, baseUrl: `${srv.url}/v1`, apiKeyRef: ref }), (err) => {
      assert.equal(err.code, 'KEY_ORIGIN_DENIED', provider);
      assert.ok(err.message.includes(origin), err.message);
      return true;
    });
    // Its own origin over http is another origin.
    await assert.rejects(sidecar.request({ provider, baseUrl: origin.replace('https:', 'http:'), apiKeyRef: ref }),
      { code: 'KEY_ORIGIN_DENIED' });
  }
  assert.deepEqual((await sidecar.describe(ref)).origins, []);
  assert.deepEqual(srv.seen, { connections: 0, requests: 0 });
});

test('https -> http never: a key bound to https://127.0.0.1:P is not sent to http://127.0.0.1:P', async (t) => {
  const srv = await startCounting('127.0.0.1');
  t.after(() => srv.close());
  const ref = envRef(makeKey('H'));
  const sidecar = new Sidecar({ policy: { origins: { [ref]: [`https://127.0.0.1:${srv.port}`] } } });
  t.after(() => sidecar.close());
  await assert.rejects(sidecar.request({ provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: ref }),
    { code: 'KEY_ORIGIN_DENIED' });
  assert.deepEqual(srv.seen, { connections: 0, requests: 0 });
  // http is only ever bound explicitly, and only for loopback hosts.
  assert.throws(() => new Sidecar({ policy: { origins: { [ref]: ['http://llm.example.com'] } } }),
    { code: 'ERR_INVALID_ARG_VALUE' });
});

test('bound https loopback: the key goes to the TLS server it is bound to', async (t) => {
  const certs = makeCerts();
  t.after(() => certs.cleanup());
  const srv = await startServer((req, res) => res.end('{"ok":true}'), { tls: certs });
  t.after(() => srv.close());
  const key = makeKey('T');
  const ref = envRef(key);
  const sidecar = new Sidecar({ policy: { origins: { [ref]: [srv.url] }, ca: certs.ca } });
  t.after(() => sidecar.close());
  const res = await sidecar.request({ provider: 'anthropic', baseUrl: srv.url, apiKeyRef: ref });
  assert.equal(res.status, 200);
  assert.equal(srv.requests[0].headers['x-api-key'], key);
});

test('wildcard patterns: one leftmost label of an https host, nothing wider', async (t) => {
  const srv = await startCounting('127.0.0.1');
  t.after(() => srv.close());
  const ref = envRef(makeKey('W'));
  const sidecar = new Sidecar({ policy: { origins: { [ref]: ['https://*.openai.azure.com'] } } });
  t.after(() => sidecar.close());
  assert.deepEqual((await sidecar.describe(ref, { provider: 'azure-openai' })).origins, ['https://*.openai.azure.com']);
  await assert.rejects(sidecar.request({ provider: 'azure-openai', baseUrl: srv.url, apiKeyRef: ref,
    apiVersion: '2024-10-21' }), (err) => {
    assert.equal(err.code, 'KEY_ORIGIN_DENIED');
    assert.ok(err.message.includes('https://*.openai.azure.com'));
    return true;
  });
  assert.deepEqual(srv.seen, { connections: 0, requests: 0 });
  for (const bad of ['*', 'https://*', 'https://*.com', 'http://*.openai.azure.com', 'https://a.*.azure.com',
    'https://*.openai.azure.com/path', 'https://*.openai.azure.com:*']) {
    assert.throws(() => new Sidecar({ policy: { origins: { [ref]: [bad] } } }), { code: 'ERR_INVALID_ARG_VALUE' }, bad);
  }
});

test('no binding from a profile file, a request option, the webview or a workspace-shaped settings object', async (t) => {
  const evil = await startCounting('127.0.0.2');
  t.after(() => evil.close());
  const key = makeKey('X');
  const storage = memorySecretStorage();
  const sidecar = new Sidecar({ secretStorage: storage });
  t.after(() => sidecar.close());
  await sidecar.storeSecret('secret:work', key, { origins: ['https://api.example.com'] });

  // 1. A profile file (synced, or planted in a repository) that carries its
  //    own "binding": refused by the schema, and the key still goes nowhere.
  const dir = tmpdir(t);
  const store = new keyref.ProfileStore(dir, sidecar);
  for (const field of ['origins', 'allowedOrigins', 'apiKeyOrigins', 'bindings']) {
    fs.writeFileSync(path.join(dir, `p-${field}.json`), JSON.stringify({ id: `p-${field}`, label: 'x',
      provider: 'openai-compatible', model: 'm', baseUrl: evil.url, apiKeyRef: 'secret:work', [field]: [evil.url] }),
    { mode: 0o600 });
  }
  const listing = await store.list();
  assert.equal(listing.profiles.length, 0);
  // (apiKeyOrigins is even named like a credential.)
  assert.equal(listing.invalid.length, 4);
  for (const i of listing.invalid) assert.match(i.code, /^PROFILE_(INVALID|CONTAINS_SECRET)$/, i.id);

  // 2. The same fields in request or chat options: unknown options.
  const base = { provider: 'openai-compatible', baseUrl: evil.url, apiKeyRef: 'secret:work' };
  for (const extra of [{ origins: [evil.url] }, { allowedOrigins: [evil.url] }, { policy: { origins: {} } }]) {
    await assert.rejects(sidecar.request({ ...base, ...extra }), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  await assert.rejects(sidecar.request(base), { code: 'KEY_ORIGIN_DENIED' });

  // 3. A workspace's .vscode/settings.json, passed as the policy by
  //    mistake: refused, not half-applied.
  const settings = JSON.parse(JSON.stringify({
    'keyref.origins': { 'secret:work': [evil.url] }, 'llmProfiles.baseUrl': evil.url,
  }));
  assert.throws(() => new Sidecar({ secretStorage: storage, policy: settings }), { code: 'ERR_INVALID_ARG_VALUE' });

  // 4. The webview cannot bind: its storeSecret message has no origins.
  assert.throws(() => sidecar.fromWebview({ type: 'llmProfiles.storeSecret', profileId: 'work', value: key,
    origins: [evil.url] }), { code: 'ERR_INVALID_ARG_VALUE' });

  // 5. A ref cannot name the binding record: keyref:origins:… is not a ref.
  assert.equal(keyref.parseRef('secret:keyref:origins:work').ok, false);
  await assert.rejects(sidecar.storeSecret('secret:keyref:origins:work', JSON.stringify({ v: 1,
    origins: [evil.url] })), { code: 'REF_BAD_NAME' });

  assert.deepEqual((await sidecar.describe('secret:work')).origins, ['https://api.example.com']);
  assert.deepEqual(evil.seen, { connections: 0, requests: 0 });
});

test('bindOrigins and acceptSecretFromWebview record bindings; deleteSecret removes them', async (t) => {
  const srv = await startCounting('127.0.0.1');
  t.after(() => srv.close());
  const storage = memorySecretStorage();
  const sidecar = new Sidecar({ secretStorage: storage });
  t.after(() => sidecar.close());
  const reply = await sidecar.acceptSecretFromWebview({ type: 'llmProfiles.storeSecret', profileId: 'p1',
    value: makeKey('B') }, { origins: [srv.url] });
  const ref = reply.apiKeyRef;
  const sent = await sidecar.request({ provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: ref });
  assert.equal(sent.status, 200);
  await sidecar.bindOrigins(ref, []);
  await assert.rejects(sidecar.request({ provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: ref }),
    { code: 'KEY_ORIGIN_UNBOUND' });
  await sidecar.bindOrigins(ref, [srv.url]);
  const d = await sidecar.describe(ref);
  assert.deepEqual(d.origins, [srv.url]);
  assert.ok(d.storedAt && !Number.isNaN(Date.parse(d.storedAt)));
  await assert.rejects(sidecar.bindOrigins('env:HOME', [srv.url]), { code: 'SOURCE_DENIED' });
  await assert.rejects(sidecar.bindOrigins(ref, ['http://example.com']), { code: 'ERR_INVALID_ARG_VALUE' });
  await sidecar.deleteSecret(ref);
  assert.equal(storage.map.size, 0, 'the key and its record are gone');
  assert.equal(srv.seen.requests, 1);
});

// bindOrigins with { add: true } (docs/origins.md, "Which key a binding
// belongs to"): a person trusts ONE more origin without the host building
// the list from describe(), which would read before it writes and would copy
// the provider default and policy.origins into the record.
test('bindOrigins { add: true } keeps the key\'s recorded origins and drops a replaced key\'s', async (t) => {
  const a = await startCounting('127.0.0.1');
  const b = await startCounting('127.0.0.1');
  const c = await startCounting('127.0.0.1');
  const policyHome = await startCounting('127.0.0.1');
  t.after(async () => { await a.close(); await b.close(); await c.close(); await policyHome.close(); });
  const storage = memorySecretStorage();
  // apiKeyRef: secret:add names a key in the host's SecretStorage, never
  // the key itself.
  const ref = 'secret:add';
  const sidecar = new Sidecar({ secretStorage: storage, policy: { origins: { [ref]: [policyHome.url] } } });
  t.after(() => sidecar.close());
  await sidecar.storeSecret(ref, makeKey('A'), { origins: [a.url] });
  await sidecar.bindOrigins(ref, [b.url], { add: true });
  await sidecar.bindOrigins(ref, [b.url], { add: true });  // no duplicate
  const record = JSON.parse(storage.map.get('keyref:origins:add'));
  assert.deepEqual(record.origins, [a.url, b.url], 'policy.origins is not copied into the record');
  const profile = { provider: 'openai-compatible', apiKeyRef: ref, method: 'GET', path: '/v1/models' };
  assert.equal((await sidecar.request({ ...profile, baseUrl: a.url })).status, 200);
  assert.equal((await sidecar.request({ ...profile, baseUrl: b.url })).status, 200);

  // Without add, the list replaces what was recorded.
  await sidecar.bindOrigins(ref, [c.url], { add: false });
  await assert.rejects(sidecar.request({ ...profile, baseUrl: a.url }), { code: 'KEY_ORIGIN_DENIED' });

  // A key replaced behind the Sidecar's back: adding does not carry the
  // old key's origins over to it.
  storage.map.set('add', makeKey('Z'));
  await sidecar.bindOrigins(ref, [a.url], { add: true });
  const d = await sidecar.describe(ref);
  assert.deepEqual(d.origins, [a.url, policyHome.url]);
  assert.equal(d.replacedOrigins, undefined);
  await assert.rejects(sidecar.request({ ...profile, baseUrl: c.url }), { code: 'KEY_ORIGIN_DENIED' });
  assert.deepEqual(c.seen, { connections: 0, requests: 0 });

  await assert.rejects(sidecar.bindOrigins(ref, [a.url], { add: 'yes' }),
    { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(sidecar.bindOrigins(ref, [a.url], null), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(sidecar.bindOrigins(ref, [a.url], []), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
});

// Found in review of bindOrigins { add }: with cacheTtlMs above 0, Bind read
// the record it kept from this Sidecar's cache. Another window's write in
// between (a new key with its own origins, or a narrowed list) was undone:
// the stale origins were merged into the record for the new key.
test('bindOrigins { add: true } reads the record from the store, not a stale cache', async (t) => {
  const x = await startCounting('127.0.0.1');
  const y = await startCounting('127.0.0.1');
  const z = await startCounting('127.0.0.1');
  t.after(async () => { await x.close(); await y.close(); await z.close(); });
  const storage = memorySecretStorage();
  // apiKeyRef: secret:stale names a key in the shared SecretStorage.
  const ref = 'secret:stale';
  const a = new Sidecar({ secretStorage: storage, policy: { cacheTtlMs: 60000 } });
  const other = new Sidecar({ secretStorage: storage });
  t.after(() => { a.close(); other.close(); });
  // A record that names no key (bound before any key was stored), cached in a.
  await a.bindOrigins(ref, [x.url]);
  assert.equal((await a.describe(ref)).state, 'missing');
  // Another window stores key B for y only: its record replaces x.
  const keyB = makeKey('B');
  await other.storeSecret(ref, keyB, { origins: [y.url] });
  await a.bindOrigins(ref, [z.url], { add: true });
  assert.deepEqual(JSON.parse(storage.map.get('keyref:origins:stale')).origins, [y.url, z.url]);
  const fresh = new Sidecar({ secretStorage: storage });
  t.after(() => fresh.close());
  const profile = { provider: 'openai-compatible', apiKeyRef: ref, method: 'GET', path: '/v1/models' };
  await assert.rejects(fresh.request({ ...profile, baseUrl: x.url }), { code: 'KEY_ORIGIN_DENIED' });
  assert.deepEqual(x.seen, { connections: 0, requests: 0 });

  // A narrowed list stays narrowed: a's cached [y, z] does not come back.
  assert.deepEqual((await a.describe(ref)).origins, [y.url, z.url]);  // cached in a
  await other.bindOrigins(ref, [y.url]);
  await a.bindOrigins(ref, [x.url], { add: true });
  assert.deepEqual(JSON.parse(storage.map.get('keyref:origins:stale')).origins, [y.url, x.url]);
});

test('bindOrigins { add: true } fails, writing nothing, when the record cannot be read', async (t) => {
  const storage = memorySecretStorage();
  let failNext = false;
  const get = storage.get;
  storage.get = async (k) => {
    if (failNext && k.startsWith('keyref:origins:')) {
      failNext = false;
      throw new Error('the host store failed once');
    }
    return get(k);
  };
  const sidecar = new Sidecar({ secretStorage: storage });
  t.after(() => sidecar.close());
  // apiKeyRef: secret:unread names a key in the test's SecretStorage, never the key.
  const ref = 'secret:unread';
  await sidecar.storeSecret(ref, makeKey('U'), { origins: ['https://a.example', 'https://b.example'] });
  const before = storage.map.get('keyref:origins:unread');
  failNext = true;
  await assert.rejects(sidecar.bindOrigins(ref, ['https://c.example'], { add: true }), (err) => {
    assert.equal(err.code, 'SOURCE_UNAVAILABLE', `${err.code}: ${err.message}`);
    return true;
  });
  assert.equal(storage.map.get('keyref:origins:unread'), before, 'a and b are kept');
});

// A person's yes is for the key the prompt showed. Another window storing a
// new key while the prompt was open must not get the trusted origin.
test('bindOrigins { fingerprint }: KEY_CHANGED when another key is stored by then; nothing bound', async (t) => {
  const home = await startCounting('127.0.0.1');
  const asked = await startCounting('127.0.0.1');
  t.after(async () => { await home.close(); await asked.close(); });
  const storage = memorySecretStorage();
  // apiKeyRef: secret:asked names a key in the test's SecretStorage, never the key.
  const ref = 'secret:asked';
  const sidecar = new Sidecar({ secretStorage: storage });
  const other = new Sidecar({ secretStorage: storage });
  t.after(() => { sidecar.close(); other.close(); });
  await sidecar.storeSecret(ref, makeKey('A'), { origins: [home.url] });
  const shown = (await sidecar.describe(ref)).fingerprint;
  const keyB = makeKey('B');
  await other.storeSecret(ref, keyB, { origins: [home.url] });  // while the prompt is open
  await assert.rejects(sidecar.bindOrigins(ref, [asked.url], { add: true, fingerprint: shown }), (err) => {
    assert.equal(err.code, 'KEY_CHANGED');
    assert.match(err.message, new RegExp(`not the one with fingerprint ${shown}`));
    assertNoTrace(`${err.message} ${err.hint}`, keyB, 'error');
    return true;
  });
  const profile = { provider: 'openai-compatible', apiKeyRef: ref, method: 'GET', path: '/v1/models' };
  await assert.rejects(sidecar.request({ ...profile, baseUrl: asked.url }), { code: 'KEY_ORIGIN_DENIED' });
  assert.deepEqual(asked.seen, { connections: 0, requests: 0 });
  // Asked again about the key stored now, the yes binds it.
  const now = (await sidecar.describe(ref)).fingerprint;
  await sidecar.bindOrigins(ref, [asked.url], { add: true, fingerprint: now });
  assert.equal((await sidecar.request({ ...profile, baseUrl: asked.url })).status, 200);
  // A removed key is a changed one too.
  await other.deleteSecret(ref);
  await assert.rejects(sidecar.bindOrigins(ref, [asked.url], { fingerprint: now }), { code: 'KEY_CHANGED' });
  await assert.rejects(sidecar.bindOrigins(ref, [asked.url], { fingerprint: 'abc' }),
    { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(sidecar.bindOrigins(ref, [asked.url], { fingerprint: 7 }),
    { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
});

// A stored binding belongs to the key it was recorded for (docs/origins.md,
// "Which key a binding belongs to"): another process (the CLI, another
// window) writes a new key into the shared store, and its record is not
// there (yet). The old key's origin must not get the new key.
test('a key replaced behind the Sidecar\'s back is not bound by the old key\'s record', async (t) => {
  const oldHome = await startCounting('127.0.0.1');
  const policyHome = await startCounting('127.0.0.1');
  t.after(async () => { await oldHome.close(); await policyHome.close(); });
  const oldKey = makeKey('R');
  const newKey = makeKey('S');
  const storage = memorySecretStorage();
  const sidecar = new Sidecar({ secretStorage: storage, policy: { origins: { 'secret:rot': [policyHome.url] } } });
  t.after(() => sidecar.close());
  await sidecar.storeSecret('secret:rot', oldKey, { origins: [oldHome.url] });
  const fp = (await sidecar.describe('secret:rot')).fingerprint;
  assert.match(storage.map.get('keyref:origins:rot'), new RegExp(`"key":"${fp}"`));
  storage.map.set('rot', newKey);  // another process's write

  const profile = { provider: 'openai-compatible', apiKeyRef: 'secret:rot', method: 'GET', path: '/v1/models' };
  await assert.rejects(sidecar.request({ ...profile, baseUrl: oldHome.url }), (err) => {
    assert.equal(err.code, 'KEY_ORIGIN_DENIED');
    assert.match(err.message, /recorded for another key/);
    assert.match(err.hint, /Store the key again with its origins/);
    assertNoTrace(`${err.message} ${err.hint}`, newKey, 'error');
    return true;
  });
  assert.deepEqual(oldHome.seen, { connections: 0, requests: 0 });
  // policy.origins does not depend on the record.
  assert.equal((await sidecar.request({ ...profile, baseUrl: policyHome.url })).status, 200);

  const d = await sidecar.describe('secret:rot');
  assert.deepEqual(d.origins, [policyHome.url]);
  assert.deepEqual(d.replacedOrigins, [oldHome.url]);
  assert.notEqual(d.fingerprint, fp);
  assert.equal(d.storedAt, undefined);
  // The LLM Profiles panel's "bound to" row: what requests honour.
  const state = await sidecar.webviewState([{ id: 'p', label: 'P', provider: 'openai-compatible', model: 'm',
    apiKeyRef: 'secret:rot' }]);
  assert.deepEqual(state.profiles[0].origins, [policyHome.url]);

  // Binding the origin to the key stored now (a person's "Trust") works.
  await sidecar.bindOrigins('secret:rot', [oldHome.url]);
  assert.equal((await sidecar.request({ ...profile, baseUrl: oldHome.url })).status, 200);
  assert.equal(oldHome.seen.requests, 1);
  assert.equal((await sidecar.describe('secret:rot')).replacedOrigins, undefined);
});

// A stored binding with an origin that no longer parses (a hand-edited
// store, a rule that got stricter) binds nothing, as before, but describe()
// says why (bindingProblem, BAD_ORIGIN), and a refused request says it too.
// Before, the key looked plainly unbound and the log line had no code.
test('a binding record with an origin that no longer parses binds nothing and says so', async (t) => {
  const srv = await startCounting('127.0.0.1');
  t.after(() => srv.close());
  const key = makeKey('B');
  const storage = memorySecretStorage();
  const lines = [];
  const sidecar = new Sidecar({ secretStorage: storage, log: (level, line) => lines.push(`${level} ${line}`) });
  t.after(() => sidecar.close());
  await sidecar.storeSecret('secret:b', key, { origins: [srv.url] });
  const record = JSON.parse(storage.map.get('keyref:origins:b'));
  record.origins.push('ftp://hand-edited.example');
  storage.map.set('keyref:origins:b', JSON.stringify(record));

  const d = await sidecar.describe('secret:b');
  assert.equal(d.state, 'stored');
  assert.deepEqual(d.origins, [], 'fails closed: none of the record\'s origins');
  assert.equal(d.bindingProblem.code, 'BAD_ORIGIN');
  assert.match(d.bindingProblem.message, /secret:b.*no longer parses \(origin 2 of 2\)/);
  assert.ok(d.bindingProblem.hint);
  const profile = { provider: 'openai-compatible', apiKeyRef: 'secret:b', baseUrl: srv.url, method: 'GET', path: '/v1/models' };
  await assert.rejects(sidecar.request(profile), (err) => {
    assert.equal(err.code, 'KEY_ORIGIN_UNBOUND');
    assert.match(err.message, /no longer parses/);
    return true;
  });
  assert.deepEqual(srv.seen, { connections: 0, requests: 0 });
  assert.ok(lines.some((l) => /binding record of secret:b: BAD_ORIGIN/.test(l)), lines.join('\n'));
  for (const text of [JSON.stringify(d), ...lines]) {
    assert.ok(!text.includes('hand-edited'));
    assertNoTrace(text, key, 'describe or log');
  }
  await sidecar.bindOrigins('secret:b', [srv.url]);
  assert.equal((await sidecar.describe('secret:b')).bindingProblem, undefined);
  assert.equal((await sidecar.request(profile)).status, 200);
});

test('describe: state, fingerprint, origins, storedAt, lastUsedAt; never the key', async (t) => {
  const srv = await startCounting('127.0.0.1');
  t.after(() => srv.close());
  const key = makeKey('F');
  const storage = memorySecretStorage();
  const sidecar = new Sidecar({ secretStorage: storage });
  t.after(() => sidecar.close());
  await sidecar.storeSecret('secret:f', key, { origins: [srv.url] });
  const before = await sidecar.describe('secret:f', { provider: 'openai' });
  assert.deepEqual(Object.keys(before).sort(), ['fingerprint', 'origins', 'state', 'storedAt']);
  assert.equal(before.state, 'stored');
  assert.match(before.fingerprint, FP);
  assert.deepEqual(before.origins, ['https://api.openai.com', srv.url]);
  await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: 'secret:f' });
  const after = await sidecar.describe('secret:f');
  assert.ok(Date.parse(after.lastUsedAt) >= Date.parse(after.storedAt));
  assert.equal(after.fingerprint, before.fingerprint);
  assertNoTrace(JSON.stringify(after), key, 'describe');
  const missing = await sidecar.describe('secret:none');
  assert.equal(missing.state, 'missing');
  assert.equal(missing.code, 'SECRET_NOT_FOUND');
  assert.equal(missing.fingerprint, undefined);
  const bad = await sidecar.describe('OPENAI_API_KEY');
  assert.equal(bad.state, 'invalid-ref');
});

test('fingerprints: stable across two processes of one installation, different for two keys, no run of the key', async () => {
  const keys = [makeKey('K'), makeKey('L')];
  const script = `
    const { Sidecar } = require(${JSON.stringify(path.join(__dirname, '..', '..'))});
    (async () => {
      const s = new Sidecar();
      const out = [];
      for (const ref of ['env:FP_A', 'env:FP_B']) out.push((await s.describe(ref)).fingerprint);
      s.close();
      process.stdout.write(JSON.stringify(out));
    })();`;
  const run = () => {
    const r = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, FP_A: keys[0], FP_B: keys[1] }, encoding: 'utf8', timeout: 30000,
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const first = run();
  const second = run();
  assert.match(first[0], FP);
  assert.deepEqual(second, first, 'one installation, one fingerprint per key');
  assert.notEqual(first[0], first[1], 'two keys, two fingerprints');
  for (const [i, fp] of first.entries()) assertNoTrace(fp, keys[i], 'fingerprint');

  // The canary scan over many keys in this process.
  // The variables are set before the Sidecar is made: it reads the
  // environment as it was then.
  const many = Array.from({ length: 40 }, () => {
    const k = `sk-${require('node:crypto').randomBytes(24).toString('hex')}`;
    return [k, envRef(k)];
  });
  const sidecar = new Sidecar();
  try {
    const seen = new Set();
    for (const [k, ref] of many) {
      const fp = (await sidecar.describe(ref)).fingerprint;
      assertNoTrace(fp, k, 'fingerprint');
      seen.add(fp);
    }
    assert.equal(seen.size, 40);
  } finally {
    sidecar.close();
  }
});

test('the audit trail: one line per send, 0600, no key, body or query; audit(n)', async (t) => {
  const dir = tmpdir(t);
  const auditFile = path.join(dir, 'audit.jsonl');
  const srv = await startCounting('127.0.0.1');
  const other = await startCounting('127.0.0.2');
  t.after(async () => { await srv.close(); await other.close(); });
  const key = makeKey('A');
  const ref = envRef(key);
  const sidecar = new Sidecar({ auditFile, policy: { origins: { [ref]: [srv.url] } } });
  t.after(() => sidecar.close());
  const body = { secret_note: `canary ${key}` };
  await sidecar.request({ provider: 'openai-compatible', baseUrl: `${srv.url}/v1?tenant=acme`, apiKeyRef: ref,
    path: '/chat/completions', query: { trace: 'qzvw' }, body });
  await assert.rejects(sidecar.request({ provider: 'openai-compatible', baseUrl: other.url, apiKeyRef: ref }),
    { code: 'KEY_ORIGIN_DENIED' });
  await sidecar.request({ provider: 'ollama', baseUrl: srv.url, path: '/api/tags', method: 'GET' });

  assert.equal(fs.statSync(auditFile).mode & 0o777, 0o600);
  const text = fs.readFileSync(auditFile, 'utf8');
  assertNoTrace(text, key, 'audit file');
  // (The query value holds letters no fingerprint can: 'abc' once matched
  // inside the hex of a random fingerprint.)
  assert.doesNotMatch(text, /tenant|acme|trace|qzvw|secret_note|canary/);
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  const [sent, denied, ollama] = lines;
  assert.equal(sent.ref, ref);
  assert.match(sent.fingerprint, FP);
  assert.equal(sent.origin, srv.url);
  assert.equal(sent.path, '/v1/chat/completions');
  assert.equal(sent.method, 'POST');
  assert.equal(sent.status, 200);
  assert.equal(sent.provider, 'openai-compatible');
  assert.equal(sent.bytesSent, JSON.stringify(body).length);
  assert.equal(sent.bytesReceived, 11);
  assert.ok(sent.durationMs >= 0);
  assert.ok(!Number.isNaN(Date.parse(sent.time)));
  assert.equal(denied.error, 'KEY_ORIGIN_DENIED');
  assert.equal(denied.fingerprint, undefined, 'a refused key is not even resolved');
  assert.equal(denied.origin, other.url);
  assert.equal(ollama.ref, undefined);
  assert.deepEqual(await sidecar.audit(3), lines);
  assert.deepEqual(await sidecar.audit(1), [ollama]);
  assert.equal(other.seen.connections, 0);

  // A second instance (a restart) reads the trail from the file.
  const again = new Sidecar({ auditFile });
  t.after(() => again.close());
  assert.deepEqual(await again.audit(10), lines);
  assert.throws(() => new Sidecar({ auditFile: { path: auditFile, maxBytes: 10 } }), { code: 'ERR_INVALID_ARG_VALUE' });
});
