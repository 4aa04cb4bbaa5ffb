'use strict';
// LLMConfiguration (addon/ts/llm_configuration.ts) has no field for a key:
// test/types/llm_configuration.ts must compile, and each of its
// @ts-expect-error lines (a literal apiKey passed to the type, to chat(),
// to request()) must be a type error.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

test('LLMConfiguration, chat() and request() refuse a literal apiKey at compile time', () => {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022',
    '--module', 'commonjs', '--types', 'node', path.join(root, 'test/types/llm_configuration.ts')],
  { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('LLMConfiguration is exported from the package typings', () => {
  const fs = require('node:fs');
  const dts = fs.readFileSync(path.join(root, 'addon/dist/index.d.ts'), 'utf8');
  assert.match(dts, /LLMConfiguration/);
});
