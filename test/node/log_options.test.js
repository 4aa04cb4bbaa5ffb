'use strict';
// Logging options of new Sidecar(): precise argument errors, the host
// callback's order and level filtering, and a throwing callback.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
// The test build of the addon, with NativeSidecar._redactionProbe
// (addon/src/test_hooks.cc).
const { Sidecar } = require('./helpers/test_hooks');

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

test('the probe exists in the test build only (see test_hooks.test.js)', async () => {
  const s = new Sidecar();
  try {
    assert.equal(typeof s.native._redactionProbe, 'function');
    assert.throws(() => s.native._redactionProbe(42), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => s.native._redactionProbe.call({}, 'env:X'), { code: 'ERR_INVALID_ARG_TYPE' });
  } finally {
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

test('the log file is created 0600 and its folder is checked like the file: source', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-logperm-'));
  const old = process.umask(0);  // the file's mode must not depend on it
  try {
    const file = path.join(dir, 'k.log');
    new Sidecar({ logFile: { path: file, maxBytes: 4096, maxFiles: 1 } }).close();
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    fs.chmodSync(file, 0o644);  // left by an older version: made private again
    new Sidecar({ logFile: { path: file, maxBytes: 4096, maxFiles: 1 } }).close();
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);

    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'keep');
    fs.symlinkSync(target, path.join(dir, 'link.log'));
    assert.throws(() => new Sidecar({ logFile: { path: path.join(dir, 'link.log') } }), { code: 'INTERNAL' });
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep');

    const shared = path.join(dir, 'shared');
    fs.mkdirSync(shared, 0o777);
    fs.symlinkSync(dir, path.join(dir, 'linkdir'));
    for (const [p, re] of [[path.join(shared, 'k.log'), /group or others can write/],
      [path.join(dir, 'linkdir', 'fresh.log'), /symbolic link/],
      [path.join(dir, 'missing', 'k.log'), /does not exist/]]) {
      assert.throws(() => new Sidecar({ logFile: { path: p } }),
        (e) => e.code === 'INTERNAL' && re.test(e.message) && /log file/.test(e.message), p);
      assert.equal(fs.existsSync(p), false, p);
    }
  } finally {
    process.umask(old);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
