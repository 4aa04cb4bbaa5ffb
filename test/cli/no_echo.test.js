'use strict';
// A key typed where a command, a name or a path belongs is never echoed
// (docs/cli.md, "Keys at the terminal"): each message names it as
// "argument N (not shown: it looks like a key)". The canary is checked with
// every 8-character run of it, on stdout and stderr, in text and --json;
// failures name the command, never print the output (it would hold the key).
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { newUser, run } = require('./helpers');

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `sk-proj-` and 40 random alphanumerics: the shape of an OpenAI key. */
function keyCanary() {
  let s = 'sk-proj-';
  for (const b of crypto.randomBytes(40)) s += ALNUM[b % ALNUM.length];
  return s;
}

/** Every 8-character run of `secret`. */
function runs(secret) {
  const out = [];
  for (let i = 0; i + 8 <= secret.length; i++) out.push(secret.slice(i, i + 8));
  return out;
}

/** Runs `args` in text and --json; asserts no run of `secret` is printed. */
function assertNotEchoed(user, label, args, secret, opts) {
  for (const json of [false, true]) {
    const r = run(user, json ? ['--json', ...args] : args, opts);
    const mode = json ? '--json' : 'text';
    assert.notEqual(r.status, 0, `${label} (${mode}) succeeded`);
    for (const [name, out] of [['stdout', r.stdout], ['stderr', r.stderr]]) {
      const leaked = runs(secret).some((w) => out.includes(w));
      assert.ok(!leaked, `${label} (${mode}): a run of the key is on ${name}`);
    }
    // check --json reports per REF, in order: the hidden one's "ref" is null.
    if (!json || args[0] !== 'check') {
      assert.match(r.stdout + r.stderr, /argument \d+ \(not shown: it looks like a key\)/,
        `${label} (${mode}) does not say which argument it hid`);
    } else {
      assert.equal(JSON.parse(r.stdout).results.at(-1).ref, null);
    }
  }
}

const COMMANDS = [
  ['keyref KEY', (k) => [k]],
  ['keyref secret KEY', (k) => ['secret', k]],
  ['keyref profile use KEY', (k) => ['profile', 'use', k]],
  ['keyref profile check KEY', (k) => ['profile', 'check', k]],
  ['keyref migrate KEY', (k) => ['migrate', k]],
  ['keyref check KEY', (k) => ['check', k]],
];

for (const [label, argsFor] of COMMANDS) {
  test(`${label}: the key is not echoed`, () => {
    const key = keyCanary();
    assertNotEchoed(newUser(), label, argsFor(key), key);
  });
}

// A value with no credential shape is still not echoed once this run holds
// it as a secret: here the first REF resolves it, the second is the value.
test('keyref check env:K VALUE: a resolved key typed as a ref is not echoed', () => {
  let value = 'plain-';
  for (const b of crypto.randomBytes(20)) value += 'abcdefghijklmnopqrstuvwxyz'[b % 26];
  const user = newUser({ KEYREF_TEST_PLAIN: value });
  assertNotEchoed(user, 'keyref check env:K VALUE', ['check', 'env:KEYREF_TEST_PLAIN', value], value);
});
