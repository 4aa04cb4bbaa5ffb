'use strict';
// parseRef through the addon: argument checks and the shape of results.
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseRef } = require('../..');

test('valid refs resolve to their parts', () => {
  assert.deepEqual(parseRef('keyring:svc/alice'), {
    ok: true, scheme: 'keyring', ref: 'keyring:svc/alice', name: 'svc/alice',
    service: 'svc', account: 'alice',
  });
});

test('a non-string ref throws ERR_INVALID_ARG_TYPE', () => {
  for (const bad of [undefined, null, 42, {}, ['env:X']]) {
    assert.throws(() => parseRef(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  }
});

test('an unknown scheme in the policy throws ERR_INVALID_ARG_VALUE', () => {
  assert.throws(() => parseRef('env:X', { allowSchemes: ['env', 'vault'] }),
    { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
});
