'use strict';
// A lock on the audit file held elsewhere (a stopped VS Code window that
// writes the same file) costs lines, never requests, and not a wait per
// request (docs/origins.md, "The audit trail"). Before, each append waited
// for the lock while holding the log's mutex: concurrent requests queued
// behind it and each waited its own 500 ms (six at once: about 3 s), and
// every later request waited again for as long as the holder kept it.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Sidecar } = require('../..');

/**
 * Holds flock(LOCK_EX) on `file` (created 0600, as keyref creates it) in a
 * python3 child (fcntl.flock is flock(2), what keyref takes) until
 * release() kills it. Resolves once the lock is held.
 */
function holdLock(t, file) {
  const py = [
    'import fcntl, os, sys',
    'fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)',
    'fcntl.flock(fd, fcntl.LOCK_EX)',
    'print("locked", flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', py, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.on('exit', r));
  const release = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  };
  t.after(release);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the lock holder did not start within 5 s')), 5000);
    child.stdout.on('data', (d) => {
      if (String(d).includes('locked')) {
        clearTimeout(timer);
        resolve({ release });
      }
    });
    child.on('error', reject);
  });
}

// A request refused before anything is resolved or connected (the key is
// bound nowhere): one audit line, no network.
function refused(sidecar, p) {
  return assert.rejects(sidecar.request({ provider: 'openai-compatible', baseUrl: 'https://unbound.invalid',
    path: p, apiKeyRef: 'env:KEYREF_AUDIT_LOCK_HELD' }), { code: 'KEY_ORIGIN_UNBOUND' });
}

function pathsIn(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).path);
}

test('a lock held elsewhere costs one bounded wait, not one per request; lines are written again once it is free', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-audit-held-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'audit.jsonl');
  const sidecar = new Sidecar({ auditFile: { path: file } });
  t.after(() => sidecar.close());
  const holder = await holdLock(t, `${file}.lock`);

  const started = Date.now();
  await Promise.all([1, 2, 3, 4, 5, 6].map((i) => refused(sidecar, `/held-${i}`)));
  const ms = Date.now() - started;
  // A bound on a wait, not a performance target: one 500 ms wait for the
  // whole batch (and the requests' own work) stays far below the 3000 ms
  // that six waits one after another took.
  assert.ok(ms < 2000, `six requests with the lock held took ${ms} ms`);
  assert.deepEqual(pathsIn(file), []);  // their lines were lost, not the requests

  await holder.release();
  await refused(sidecar, '/after');
  assert.deepEqual(pathsIn(file), ['/after']);
  const tail = await sidecar.audit(10);
  assert.deepEqual(tail.map((r) => r.path), ['/after']);
});
