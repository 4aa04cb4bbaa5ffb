'use strict';
// Logging options of new Sidecar(): precise argument errors, the host
// callback's order and level filtering, and a throwing callback.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Sidecar } = require('../..');

// Enables NativeSidecar._redactionProbe (addon/src/sidecar_log.cc).
process.env.KEYREF_TEST_HOOKS = '1';

test('bad logging options throw precise TypeError / RangeError', () => {
  const type = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
  const range = { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' };
  assert.throws(() => new Sidecar({ log: 'console' }), type);
  assert.throws(() => new Sidecar({ logLevel: 3 }), type);
  assert.throws(() => new Sidecar({ logLevel: 'verbose' }), range);
  assert.throws(() => new Sidecar({ logLevel: 'TRACE' }), range);
  assert.throws(() => new Sidecar({ logStderr: 'yes' }), type);
  assert.throws(() => new Sidecar({ logFile: '/tmp/x.log' }), type);
  assert.throws(() => new Sidecar({ logFile: null }), type);
  assert.throws(() => new Sidecar({ logFile: {} }), type);
  assert.throws(() => new Sidecar({ logFile: { path: '' } }), range);
  assert.throws(() => new Sidecar({ logFile: { path: 'a\0b' } }), range);
  assert.throws(() => new Sidecar({ logFile: { path: '/tmp/x', maxBytes: 10 } }), range);
  assert.throws(() => new Sidecar({ logFile: { path: '/tmp/x', maxBytes: '1' } }), type);
  assert.throws(() => new Sidecar({ logFile: { path: '/tmp/x', maxFiles: 1.5 } }), range);
  assert.throws(() => new Sidecar({ policy: { logBodies: 1 } }), type);
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'off']) {
    new Sidecar({ logLevel: level }).close();
  }
});

test('an unopenable log file throws INTERNAL naming no value', () => {
  assert.throws(() => new Sidecar({ logFile: { path: '/dev/null/keyref.log' } }),
    (e) => e.code === 'INTERNAL' && /log file/.test(e.message));
});

test('the host callback gets redacted lines in order, filtered by level', async () => {
  process.env.KEYREF_LOG_TEST_VAR = `lt${'0123456789abcdef'.repeat(2)}`;
  const lines = [];
  const s = new Sidecar({ log: (l, x) => lines.push([l, x]), logLevel: 'info', policy: { allowSchemes: ['env'] } });
  await assert.rejects(s.native._redactionProbe('env:KEYREF_LOG_TEST_VAR'), { code: 'SOURCE_DENIED' });
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(lines.length >= 4);
  assert.ok(lines.every(([l]) => ['info', 'warn', 'error'].includes(l)), 'no trace/debug at info');
  // The probe logs info, warn, error in that order first.
  assert.deepEqual(lines.slice(0, 3).map(([l]) => l), ['info', 'warn', 'error']);
  for (const [, x] of lines) assert.ok(!x.includes('0123456789abcdef'));
  s.close();
});

test('a throwing log callback is swallowed', async () => {
  let calls = 0;
  const s = new Sidecar({ log: () => { calls++; throw new Error('boom'); }, logLevel: 'trace' });
  await assert.rejects(s.native._redactionProbe('env:KEYREF_NOT_SET_ANYWHERE'), { code: 'SECRET_NOT_FOUND' });
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(calls >= 1);
  s.close();
});

test('the probe is refused without KEYREF_TEST_HOOKS=1', async () => {
  const s = new Sidecar();
  process.env.KEYREF_TEST_HOOKS = '0';
  try {
    assert.throws(() => s.native._redactionProbe('env:X'), { code: 'INTERNAL' });
  } finally {
    process.env.KEYREF_TEST_HOOKS = '1';
    s.close();
  }
});

test('redact() scrubs and leaves clean text alone', () => {
  const s = new Sidecar();
  const clean = 'nothing secret here';
  assert.equal(s.redact(clean), clean);
  assert.equal(s.redact('x-api-key: abc123'), 'x-api-key: [REDACTED]');
  assert.throws(() => s.redact(42), { code: 'ERR_INVALID_ARG_TYPE' });
  s.close();
});

test('a log file is written, redacted', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-logfile-'));
  try {
    const file = path.join(dir, 'k.log');
    const s = new Sidecar({ logFile: { path: file, maxBytes: 4096, maxFiles: 1 }, logLevel: 'debug' });
    s.redact('x');
    await assert.rejects(s.native._redactionProbe('env:KEYREF_NOT_SET_ANYWHERE'));
    s.close();
    assert.match(fs.readFileSync(file, 'utf8'), /\[warning\] \[t\d+\] probe: The environment variable KEYREF_NOT_SET_ANYWHERE/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
