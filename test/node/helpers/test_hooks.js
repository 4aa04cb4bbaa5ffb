'use strict';
// Loads keyref with its test build of the addon,
// build/Release/keyref_test_hooks.node (scripts/build-addon.js --test-hooks,
// which scripts/bootstrap.sh runs), in place of the shipped keyref.node: the
// same code with the test hooks (addon/src/test_hooks.cc, e.g.
// NativeSidecar.prototype._redactionProbe) compiled in. The shipped addon has
// no hooks at all, whatever the environment says (test_hooks.test.js).
//
// Require this module instead of the package, before anything else loads
// keyref in the process; it returns the package's exports.
const path = require('node:path');
const Module = require('node:module');

const root = path.resolve(__dirname, '..', '..', '..');
const bindingFile = require.resolve(path.join(root, 'addon', 'dist', 'native.js'));
if (require.cache[bindingFile]) {
  throw new Error('test_hooks.js must be required before keyref is loaded');
}
const native = require(path.join(root, 'build', 'Release', 'keyref_test_hooks.node'));
if (native.testHooks !== true) throw new Error('keyref_test_hooks.node has no test hooks');
// addon/dist/native.js exports { native }; every other module of the
// package reads the binding from there.
const binding = new Module(bindingFile, module);
binding.filename = bindingFile;
binding.loaded = true;
binding.exports = { native };
require.cache[bindingFile] = binding;

module.exports = require(root);
