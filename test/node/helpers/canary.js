'use strict';
// Canary secrets and the scan every leak test ends with.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** A unique, key-shaped canary (sk-proj-…); built at run time, never a literal in the repo. */
function skCanary() {
  return ['sk', 'proj', crypto.randomBytes(24).toString('base64url').replace(/[-_]/g, 'Q')].join('-');
}

/** A canary that is NOT credential-shaped (so only the live-secret rule can catch it). */
function plainCanary() {
  return `canary${crypto.randomBytes(6).toString('hex')}word`;
}

/** Every file under `dir` (recursively), with its bytes. */
function allFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else out.push({ file: p, bytes: fs.readFileSync(p) });
  }
  return out;
}

/** Asserts that none of `canaries` occurs in any file under `dir` or in any of `values` (JSON-serialised). */
function assertNoCanary(assert, canaries, { dirs = [], values = [] } = {}) {
  for (const dir of dirs) {
    for (const { file, bytes } of allFiles(dir)) {
      for (const c of canaries) {
        assert.equal(bytes.includes(Buffer.from(c)), false, `canary found in ${file}`);
      }
    }
  }
  for (const v of values) {
    const text = typeof v === 'string' ? v : JSON.stringify(v, (k, x) => (x instanceof Error
      ? { message: x.message, code: x.code, hint: x.hint, stack: x.stack } : x));
    for (const c of canaries) assert.equal(text.includes(c), false, `canary found in ${text.slice(0, 80)}…`);
  }
}

module.exports = { skCanary, plainCanary, allFiles, assertNoCanary };
