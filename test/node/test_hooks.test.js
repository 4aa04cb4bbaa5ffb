'use strict';
// Test hooks exist only in the test build of the addon (a compile-time
// switch: binding.gyp, addon/src/test_hooks.cc), never behind an environment
// variable in the shipped binary. This file loads the shipped package and
// tries every way the old getenv gate could be opened.
const test = require('node:test');
const assert = require('node:assert/strict');

process.env.KEYREF_TEST_HOOKS = '1';
const { Sidecar } = require('../..');

test('the shipped addon has no test hooks, whatever the environment says', async () => {
  const s = new Sidecar({ policy: { allowSchemes: ['env'] } });
  try {
    for (const value of ['1', 'true', 'yes']) {
      process.env.KEYREF_TEST_HOOKS = value;
      assert.equal(s.native._redactionProbe, undefined, `KEYREF_TEST_HOOKS=${value}`);
      assert.equal('_redactionProbe' in s.native, false);
    }
    const proto = Object.getPrototypeOf(s.native);
    assert.deepEqual(Object.getOwnPropertyNames(proto).filter((n) => n.startsWith('_')), []);
    // eslint-disable-next-line global-require
    const { native } = require('../../addon/dist/native.js');
    assert.equal(native.testHooks, false);
  } finally {
    delete process.env.KEYREF_TEST_HOOKS;
    s.close();
  }
});
