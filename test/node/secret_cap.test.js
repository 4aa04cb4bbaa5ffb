'use strict';
// Bounded resources: a resolved value longer than 64 KiB is refused with
// SECRET_MALFORMED before it is copied out of the host's string, cached or
// fingerprinted (docs/threat-model.md, "Bounded resources"). The attacker
// here is a host store (or whatever filled it) that returns megabytes: on
// the old code a 2 MB value cost seconds of CPU and hundreds of MB of RSS,
// kept after close(). Figures: bench/node/secret_cap_bench.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Sidecar } = require('../..');

const KIB = 1024;

// Lower-case hex: no credential shape, so only the value's fingerprints
// (its registration with the redactor) could make redact() touch it.
function hexValue(bytes, seed) {
  let out = '';
  let x = seed;
  while (out.length < bytes) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += x.toString(16).padStart(8, '0');
  }
  return out.slice(0, bytes);
}

function hostStore(values) {
  const calls = [];
  return {
    calls,
    async get(k) { calls.push(['get', k]); return values[k]; },
    async store(k) { calls.push(['store', k]); },
    async delete(k) { calls.push(['delete', k]); },
  };
}

test('values over 64 KiB from the host store are refused, never registered', async () => {
  const values = {
    atcap: hexValue(64 * KIB, 7),
    over: hexValue(64 * KIB + 1, 11),
    huge: hexValue(2 * 1024 * KIB, 13),
  };
  const store = hostStore(values);
  // The request below goes to a bound origin, so what stops it is the cap.
  const s = new Sidecar({ secretStorage: store, policy: { origins: { 'secret:huge': ['http://127.0.0.1:9'] } } });
  try {
    assert.deepEqual(await s.check('secret:atcap'), { ok: true, scheme: 'secret' });
    const inner = values.atcap.slice(30000, 30024);
    assert.notEqual(s.redact(`x ${inner} y`), `x ${inner} y`, 'a value at the cap is a secret like any other');
    for (const name of ['over', 'huge']) {
      const r = await s.check(`secret:${name}`);
      assert.equal(r.ok, false, name);
      assert.equal(r.code, 'SECRET_MALFORMED', name);
      assert.match(r.message, /64 KiB/);
      const window = values[name].slice(values[name].length >> 1, (values[name].length >> 1) + 24);
      assert.equal(s.redact(`x ${window} y`), `x ${window} y`, `${name}: fingerprinted`);
    }
    // A request resolves the same way: refused before anything is sent.
    const err = await s.request({ provider: 'openai', baseUrl: 'http://127.0.0.1:9', apiKeyRef: 'secret:huge',
      method: 'GET', path: '/v1/models', timeoutMs: 5000 }).then(() => null, (e) => e);
    assert.equal(err?.code, 'SECRET_MALFORMED');
  } finally {
    s.close();
  }
});

test('storeSecret refuses a value over 64 KiB before copying or storing it', async () => {
  const store = hostStore({});
  const s = new Sidecar({ secretStorage: store });
  try {
    await assert.rejects(s.storeSecret('secret:big', hexValue(2 * 1024 * KIB, 3)), { code: 'SECRET_MALFORMED' });
    await assert.rejects(s.storeSecret('secret:big', hexValue(64 * KIB + 1, 5)), { code: 'SECRET_MALFORMED' });
    assert.deepEqual(store.calls, [], 'the host store was never asked to store it');
    await s.storeSecret('secret:ok', hexValue(64 * KIB, 9));
    // The record it replaces is read (to put it back should the key write
    // fail), then the new binding record, then the key (docs/origins.md,
    // "Which key a binding belongs to").
    assert.deepEqual(store.calls, [['get', 'keyref:origins:ok'], ['store', 'keyref:origins:ok'], ['store', 'ok']]);
  } finally {
    s.close();
  }
});
