'use strict';
// Which scrubber a request gets after its key changed (KeyScrubberCache,
// native/include/keyref/key_scrubber.h; docs/requests.md, "Scrubbing").
//
// What a response shows cannot tell: while a request runs, its key is live
// in the instance's redactor too, which matches it with the same code
// (native/src/redaction/secret_runs.cpp), so the text comes back the same
// whichever scrubber ran (request.test.js checks that text). So this test
// reads the cache itself, through the test build's _keyScrubberCache hook
// (addon/src/test_hooks.cc: entries held, lookups that found one), with
// the key stored, replaced and deleted through storeSecret/deleteSecret:
// the path an extension takes, which reaches Instance::Store/Delete and so
// HttpClient::ForgetKeys. It fails if the replaced key's entry is kept
// (ForgetKeys doing nothing) or if the new key is handed the old key's
// scrubber (an entry found for another value).
const test = require('node:test');
const assert = require('node:assert/strict');
// The test build of the addon (with the hooks); before anything loads keyref.
const { Sidecar } = require('./helpers/test_hooks');
const { makeKey, envRef, assertNoTrace, startServer } = require('./helpers/request_helpers');
const { memorySecretStorage } = require('./helpers/sidecar_ops');

test('a key replaced or deleted through storeSecret/deleteSecret drops its cached scrubber; the new key never gets the old one', async (t) => {
  const first = makeKey('C');
  const second = makeKey('D');
  const seen = [];
  // Echoes the key it got, whole and as a run of its middle.
  const srv = await startServer((req, res) => {
    const sent = req.headers.authorization.slice('Bearer '.length);
    seen.push(sent);
    res.writeHead(401, { 'content-type': 'application/json', 'x-echo': sent });
    res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${sent}`, run: sent.slice(15, 27) } }));
  });
  // apiKeyRef: an env: ref to a variable holding `first` (a made-up key),
  // the value the stored ref held before it was replaced; bound to the
  // server by policy.
  const old = envRef(first);
  const sidecar = new Sidecar({ secretStorage: memorySecretStorage(),
    policy: { origins: { [old]: [srv.url] } } });
  t.after(async () => { sidecar.close(); await srv.close(); });
  // apiKeyRef: a secret: ref naming the key in the host's secret storage
  // (here an in-memory one), stored with its server's origin, then
  // replaced with `second`, then deleted.
  const ref = 'secret:rotate/llm';
  const cache = () => sidecar.native._keyScrubberCache();
  const send = async (apiKeyRef, key, what) => {
    const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef, path: '/v1/x' });
    assert.equal(res.status, 401, what);
    assert.equal(seen.at(-1), key, `${what}: the key sent`);
    assert.equal(JSON.parse(res.body).error.message, 'Incorrect API key provided: [REDACTED]', what);
    assertNoTrace(JSON.stringify(res), first, what);
    assertNoTrace(JSON.stringify(res), second, what);
  };

  assert.deepEqual(cache(), { size: 0, hits: 0 });
  await sidecar.storeSecret(ref, first, { origins: [srv.url] });
  await send(ref, first, 'first key');
  assert.deepEqual(cache(), { size: 1, hits: 0 });
  await send(ref, first, 'first key again');
  assert.deepEqual(cache(), { size: 1, hits: 1 }, 'the same value finds its entry');

  await sidecar.storeSecret(ref, second, { origins: [srv.url] });
  assert.deepEqual(cache(), { size: 0, hits: 1 }, 'storeSecret drops the replaced key\'s scrubber');
  await send(ref, second, 'replaced key');
  assert.deepEqual(cache(), { size: 1, hits: 1 }, 'the new value gets a scrubber of its own');
  await send(ref, second, 'replaced key again');
  assert.deepEqual(cache(), { size: 1, hits: 2 });
  // The old value, sent again under another ref: nothing was kept for it.
  await send(old, first, 'old value under another ref');
  assert.deepEqual(cache(), { size: 2, hits: 2 }, 'the old value\'s entry went with the store');

  await sidecar.deleteSecret(ref);
  assert.deepEqual(cache(), { size: 0, hits: 2 }, 'deleteSecret drops every entry');
  await send(old, first, 'after the delete');
  assert.deepEqual(cache(), { size: 1, hits: 2 });
  assert.deepEqual(seen, [first, first, second, second, first, first]);
});
