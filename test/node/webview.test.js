'use strict';
// The webview bridge: what the page may be shown (refs and states), the one
// key it may send, and every leak toWebview refuses. Every message the
// bridge let through is scanned for the canaries at the end of each test.
const test = require('node:test');
const assert = require('node:assert/strict');
const { webviewErrorMessage } = require('../..');
const { makeOps } = require('./helpers/sidecar_ops');
const { skCanary, plainCanary, assertNoCanary } = require('./helpers/canary');

function profile(id, extra = {}) {
  return { id, label: `Profile ${id}`, provider: 'openai', model: 'gpt-4o', ...extra };
}

test('webviewState: fields, apiKeyRef and a state per profile; never a value, mask or prefix', async () => {
  const { ops } = makeOps();
  const sk = skCanary();
  await ops.storeSecret('secret:openai/work', sk);
  const profiles = [
    profile('stored', { apiKeyRef: 'secret:openai/work', baseUrl: 'https://api.openai.com/v1', headers: { 'X-Title': 't' } }),
    profile('missing', { apiKeyRef: 'secret:openai/none' }),
    profile('noref'),
    profile('badref', { apiKeyRef: 'op://Private/OpenAI/credential' }),  // op is not enabled by default
    // An extra property on the host's object (a cached key) is not copied.
    { ...profile('cached', { apiKeyRef: 'secret:openai/work' }), apiKey: sk, cache: { value: sk } },
  ];
  const msg = await ops.webviewState(profiles, { selectedId: 'stored' });
  assert.equal(msg.type, 'llmProfiles.state');
  assert.equal(msg.selectedId, 'stored');
  const st = Object.fromEntries(msg.profiles.map((p) => [p.id, p]));
  // describe() adds the key's fingerprint and its origins (the provider's
  // default here), and nothing more: no storedAt, no lastUsedAt.
  assert.match(st.stored.fingerprint, /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/);
  assert.deepEqual(st.stored, { ...profiles[0], secretState: 'stored', fingerprint: st.stored.fingerprint,
    origins: ['https://api.openai.com'] });
  assert.equal(st.missing.secretState, 'missing');
  assert.equal(st.missing.secretCode, 'SECRET_NOT_FOUND');
  assert.equal(st.noref.secretState, 'missing');
  assert.equal(st.badref.secretState, 'invalid-ref');
  assert.equal(st.badref.secretCode, 'REF_SCHEME_DISABLED');
  assert.deepEqual(Object.keys(st.cached).sort(),
    ['apiKeyRef', 'fingerprint', 'id', 'label', 'model', 'origins', 'provider', 'secretState']);
  assert.equal(st.cached.fingerprint, st.stored.fingerprint, 'one key, one fingerprint');
  assert.ok(Object.isFrozen(msg) && Object.isFrozen(msg.profiles[0]));
  assertNoCanary(assert, [sk, sk.slice(0, 12), sk.slice(-8)], { values: [msg] });
});

test('the secret states map from check() codes', () => {
  const { secretStateOf } = require('../..');
  assert.equal(secretStateOf({ ok: true, scheme: 'env' }).secretState, 'stored');
  assert.equal(secretStateOf({ ok: false, code: 'SECRET_NOT_FOUND', message: '' }).secretState, 'missing');
  assert.equal(secretStateOf({ ok: false, code: 'SOURCE_LOCKED', message: '' }).secretState, 'locked');
  assert.equal(secretStateOf({ ok: false, code: 'SOURCE_UNAVAILABLE', message: '' }).secretState, 'unavailable');
  assert.equal(secretStateOf({ ok: false, code: 'SOURCE_DENIED', message: '' }).secretState, 'unavailable');
  assert.equal(secretStateOf({ ok: false, code: 'REF_NO_SCHEME', message: '' }).secretState, 'invalid-ref');
});

test('acceptSecretFromWebview stores the key write-only and answers with the ref and state', async () => {
  const { ops, storage } = makeOps();
  const sk = skCanary();
  const reply = await ops.acceptSecretFromWebview({ type: 'llmProfiles.storeSecret', requestId: 'r1', profileId: 'work', value: sk });
  assert.deepEqual({ ...reply }, { type: 'llmProfiles.secretStored', requestId: 'r1', profileId: 'work',
    apiKeyRef: 'secret:keyref/profiles/work', secretState: 'stored' });
  assert.equal(await storage.get('keyref/profiles/work'), sk);
  // A host-chosen ref in a writable store.
  const r2 = await ops.acceptSecretFromWebview({ type: 'llmProfiles.storeSecret', profileId: 'p2', value: sk },
    { ref: 'secret:team/openai' });
  assert.equal(r2.apiKeyRef, 'secret:team/openai');
  // env:, op:, pass: are read-only: refused before anything is stored.
  await assert.rejects(ops.acceptSecretFromWebview({ type: 'llmProfiles.storeSecret', profileId: 'p3', value: sk },
    { ref: 'env:OPENAI_API_KEY' }), { code: 'ERR_INVALID_ARG_VALUE' });
  // Any other message type is refused here.
  await assert.rejects(ops.acceptSecretFromWebview({ type: 'llmProfiles.ready' }), { code: 'ERR_INVALID_ARG_VALUE' });
  // A store failure is reported without the value.
  const err = await ops.acceptSecretFromWebview({ type: 'llmProfiles.storeSecret', profileId: 'p4', value: `${sk}\n` })
    .then(() => null, (e) => e);
  assert.equal(err.code, 'SECRET_MALFORMED');
  assertNoCanary(assert, [sk], { values: [reply, r2, err] });
});

test('toWebview refuses every kind of leak with WEBVIEW_LEAK_BLOCKED and never quotes it', async () => {
  const { ops, makeLive } = makeOps();
  const sk = skCanary();
  const live = plainCanary();
  await makeLive(live);
  const state = (p) => ({ type: 'llmProfiles.state', profiles: [{ ...profile('x'), secretState: 'stored', ...p }] });
  const leaks = {
    'an apiKey property': state({ apiKey: 'anything' }),
    'an api_key property': { type: 'llmProfiles.saved', profileId: 'x', api_key: 'a' },
    'a secret property': { type: 'llmProfiles.saved', profileId: 'x', secret: 'a' },
    'a token property': { type: 'llmProfiles.saved', profileId: 'x', accessToken: 'a' },
    'a password property': { type: 'llmProfiles.saved', profileId: 'x', password: 'a' },
    'an authorization header': state({ headers: { Authorization: 'Bearer a' } }),
    'a nested value property': { type: 'llmProfiles.saved', profileId: 'x', extra: { privateKey: 'a' } },
    'a key-shaped label': state({ label: sk }),
    'a key in an error message': { type: 'llmProfiles.error', code: 'INTERNAL', message: `failed with ${sk}` },
    'a live secret in a label': state({ label: `mine ${live}` }),
    'a live secret in a hint': { type: 'llmProfiles.error', code: 'INTERNAL', message: 'x', hint: live },
    'a key as a property name': { type: 'llmProfiles.saved', profileId: 'x', [sk]: 1 },
    // Found by test/fuzz/js_validators_fuzz.js: the path in the message
    // quoted a plain-looking live secret used as a property name.
    'a live secret as a property name': { type: 'llmProfiles.saved', profileId: 'x', [live]: 'p' },
    'a live secret as a nested name': state({ headers: { [live]: 'v' } }),
  };
  const errors = [];
  for (const [what, msg] of Object.entries(leaks)) {
    assert.throws(() => ops.toWebview(msg), (e) => {
      assert.equal(e.code, 'WEBVIEW_LEAK_BLOCKED', `${what}: ${e.code} ${e.message}`);
      errors.push(e);
      return true;
    }, what);
  }
  assertNoCanary(assert, [sk, live], { values: errors });
  // apiKeyRef is allowed: a ref says where a key lives, not what it is.
  const ok = ops.toWebview(state({ apiKeyRef: 'secret:openai/work' }));
  assert.equal(ok.profiles[0].apiKeyRef, 'secret:openai/work');
  // A message that is not in the schema is refused too (not a leak: a bug).
  assert.throws(() => ops.toWebview({ type: 'llmProfiles.bogus' }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => ops.toWebview({ type: 'llmProfiles.saved' }), { code: 'ERR_INVALID_ARG_VALUE', message: /missing property profileId/ });
  assert.throws(() => ops.toWebview('text'), { code: 'ERR_INVALID_ARG_TYPE' });
  assertNoCanary(assert, [sk, live], { values: [ok] });
});

test('incoming messages are validated; unknown or malformed ones get a clear error without values', () => {
  const { ops } = makeOps();
  const sk = skCanary();
  const cases = [
    [{ type: 'llmProfiles.exfiltrate', value: sk }, /unknown or missing message type/],
    [{ value: sk }, /unknown or missing message type|missing property type/],
    [{ type: 'llmProfiles.storeSecret', profileId: 'x' }, /missing property value/],
    [{ type: 'llmProfiles.storeSecret', profileId: 'x', value: '' }, /\/value/],
    [{ type: 'llmProfiles.storeSecret', profileId: 'x', value: sk, also: sk }, /unknown property also/],
    [{ type: 'llmProfiles.storeSecret', profileId: '../x', value: sk }, /\/profileId: has the wrong form/],
    [{ type: 'llmProfiles.storeSecret', profileId: 'x', value: sk, [sk]: 1 }, /unknown property <name>/],
    [{ type: 'llmProfiles.save', profile: { id: 'x' } }, /\/profile: missing property/],
  ];
  const errors = [];
  for (const [msg, re] of cases) {
    assert.throws(() => ops.fromWebview(msg), (e) => {
      assert.equal(e.code, 'ERR_INVALID_ARG_VALUE');
      assert.match(e.message, re);
      errors.push(e);
      return true;
    });
  }
  assert.throws(() => ops.fromWebview(null), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => ops.fromWebview([]), { code: 'ERR_INVALID_ARG_TYPE' });
  for (const good of [
    { type: 'llmProfiles.ready' },
    { type: 'llmProfiles.save', requestId: 'r', profile: profile('x', { apiKeyRef: 'env:X' }) },
    { type: 'llmProfiles.delete', profileId: 'x' },
    { type: 'llmProfiles.select', profileId: 'x' },
    { type: 'llmProfiles.deleteSecret', profileId: 'x' },
  ]) assert.equal(ops.fromWebview(good), good);
  // The host's reply to a refused request passes the bridge itself.
  const reply = ops.toWebview(webviewErrorMessage(errors[0], { requestId: 'r9' }));
  assert.equal(reply.code, 'ERR_INVALID_ARG_VALUE');
  // Any other error becomes INTERNAL with a generic text; a keyref error
  // whose text would leak is replaced rather than blocked.
  const fsErr = Object.assign(new Error(`ENOENT: open '/tmp/${sk}'`), { code: 'ENOENT' });
  const r2 = ops.toWebview(webviewErrorMessage(fsErr));
  assert.deepEqual({ ...r2 }, { type: 'llmProfiles.error', code: 'INTERNAL', message: 'The request failed (INTERNAL).' });
  const odd = Object.assign(new Error(`bad ${sk}`), { code: 'PROFILE_INVALID', hint: sk });
  const r3 = ops.toWebview(webviewErrorMessage(odd, undefined, ops));
  assert.deepEqual({ ...r3 }, { type: 'llmProfiles.error', code: 'PROFILE_INVALID', message: 'The request failed (PROFILE_INVALID).' });
  errors.push(r2, r3);
  assertNoCanary(assert, [sk], { values: [...errors, reply] });
});

test('every host-to-webview message type of the schema passes when clean', () => {
  const { ops } = makeOps();
  for (const m of [
    { type: 'llmProfiles.state', profiles: [] },
    { type: 'llmProfiles.secretStored', profileId: 'x', apiKeyRef: 'keyring:svc/acct', secretState: 'stored' },
    { type: 'llmProfiles.secretDeleted', profileId: 'x', secretState: 'missing' },
    { type: 'llmProfiles.saved', profileId: 'x' },
    { type: 'llmProfiles.deleted', profileId: 'x', requestId: 'r' },
    { type: 'llmProfiles.selected', profileId: 'x' },
    { type: 'llmProfiles.error', code: 'PROFILE_CONTAINS_SECRET', message: 'The profile was not saved.' },
  ]) assert.deepEqual({ ...ops.toWebview(m) }, m);
});
