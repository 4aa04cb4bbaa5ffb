'use strict';
// The secret-export gate lives in native code as well as in TypeScript:
// these tests call the raw binding (sidecar.native.exportWithSecrets)
// directly, as a careless caller that skips ProfileStore could. Native code
// must refuse unless policy.allowSecretExport is true AND the confirm
// callback, which native code calls itself, answers the literal `true` (or a
// promise of it). What the gate cannot stop (JS in the process that passes
// its own callback): docs/threat-model.md, "Export gate, log file, test hooks".
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Sidecar } = require('../..');

// A made-up key, built at run time; only a successful export may write it.
const KEY = ['sk', 'gate', 'Zq8Wm3Rt6Yp1Lk4Hd7Fs2Ga9Jx5Cv0Nb'].join('-');
process.env.KEYREF_TEST_GATE_KEY = KEY;
const ITEMS = [[JSON.stringify({ id: 'a', provider: 'openai' }), 'env:KEYREF_TEST_GATE_KEY'],
  [JSON.stringify({ id: 'b', provider: 'ollama' }), '']];

function tmpFile(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-gate-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'export.json');
}

test('the raw binding refuses every closed gate and writes nothing', async (t) => {
  const file = tmpFile(t);
  const closed = new Sidecar({ policy: { allowSchemes: ['env'] } });
  const open = new Sidecar({ policy: { allowSchemes: ['env'], allowSecretExport: true } });
  t.after(() => { closed.close(); open.close(); });
  let asked = 0;
  const yes = () => { asked += 1; return true; };
  const thenableThatThrows = { get then() { throw new Error(KEY); } };
  const cases = [
    ['policy closed, confirm yes', closed, [yes], /allowSecretExport/],
    ['policy open, no confirm (the old two-argument call)', open, [], /no confirm/],
    ['policy open, confirm not a function', open, [true], /no confirm/],
    ['confirm false', open, [() => false], /not confirmed/],
    ['confirm truthy string', open, [() => 'yes'], /not confirmed/],
    ['confirm 1', open, [() => 1], /not confirmed/],
    ['confirm an object', open, [() => ({ ok: true })], /not confirmed/],
    ['confirm a boxed true', open, [() => Object(true)], /not confirmed/],
    ['confirm resolves "true"', open, [async () => 'true'], /not confirmed/],
    ['confirm resolves false', open, [async () => false], /not confirmed/],
    ['confirm throws', open, [() => { throw new Error(KEY); }], /confirm callback failed/],
    ['confirm rejects', open, [async () => { throw new Error(KEY); }], /confirm callback failed/],
    ['confirm returns a thenable whose then throws', open, [() => thenableThatThrows], /confirm callback failed/],
  ];
  for (const [what, s, extra, re] of cases) {
    const err = await s.native.exportWithSecrets(ITEMS, file, ...extra).then(() => null, (e) => e);
    assert.ok(err, `${what}: exported`);
    assert.equal(err.code, 'EXPORT_DENIED', what);
    assert.match(err.message, re, what);
    assert.equal(err.message.includes(KEY), false, what);
    assert.equal(fs.existsSync(file), false, `${what}: a file was written`);
  }
  assert.equal(asked, 0, 'the confirm callback is not called when the policy forbids the export');
  closed.close();
  await assert.rejects(closed.native.exportWithSecrets(ITEMS, file, yes), { code: 'INTERNAL', message: /closed/ });
  assert.equal(asked, 0);
});

test('only a literal true, asked by native code, opens the gate', async (t) => {
  const s = new Sidecar({ policy: { allowSchemes: ['env'], allowSecretExport: true } });
  t.after(() => s.close());
  for (const answer of [true, Promise.resolve(true)]) {
    const file = tmpFile(t);
    const seen = [];
    const stats = await s.native.exportWithSecrets(ITEMS, file, (info) => { seen.push(info); return answer; });
    assert.deepEqual(stats, { profiles: 2, secrets: 1 });
    // Asked once, about what is written: the file, the profiles' ids and
    // the ref each one's key is read from ('' for none).
    assert.deepEqual(seen, [{ file, profileIds: ['a', 'b'], apiKeyRefs: ['env:KEYREF_TEST_GATE_KEY', ''] }]);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).profiles[0].apiKey, KEY);
  }
});
