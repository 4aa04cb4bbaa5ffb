'use strict';
// Lifetimes: worker threads (each its own addon environment) that end with
// resolutions in flight, including a host-store call that never settles,
// must neither crash nor hang; an unreferenced Sidecar does not keep the
// process alive.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { once } = require('node:events');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

test('terminating a worker with a host-store call in flight neither crashes nor hangs', async () => {
  const w = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const { Sidecar } = require(${JSON.stringify(root)});
    const s = new Sidecar({
      policy: { resolveTimeoutMs: 60000 },
      secretStorage: {
        get: () => { parentPort.postMessage('get called'); return new Promise(() => {}); },
        store() {}, delete() {},
      },
    });
    s.check('secret:k');
    s.check('keyring:keyref-lifecycle/none');
  `, { eval: true });
  const [msg] = await once(w, 'message');
  assert.equal(msg, 'get called');
  const t0 = Date.now();
  await w.terminate();
  assert.ok(Date.now() - t0 < 10000, `terminate took ${Date.now() - t0} ms`);
});

test('several environments at once each get their own pool', async () => {
  const workers = [];
  const messages = [];
  for (let i = 0; i < 3; i++) {
    const w = new Worker(`
      const { parentPort } = require('node:worker_threads');
      const { Sidecar } = require(${JSON.stringify(root)});
      const m = new Map([['k', 'v${i}']]);
      const s = new Sidecar({ secretStorage: { get: async (k) => m.get(k), store() {}, delete() {} } });
      Promise.all([s.check('secret:k'), s.check('secret:none'), s.status()])
        .then(([a, b, st]) => { parentPort.postMessage([a.ok, b.code, st.length]); s.close(); });
    `, { eval: true });
    // Listen at once: a worker may finish before the others are awaited.
    messages.push(once(w, 'message'));
    workers.push(w);
  }
  for (let i = 0; i < workers.length; i++) {
    const [res] = await messages[i];
    assert.deepEqual(res, [true, 'SECRET_NOT_FOUND', 6]);
    await workers[i].terminate();
  }
});

test('a process exits once its checks are settled (the pool does not hold the loop)', () => {
  const r = spawnSync(process.execPath, ['-e', `
    const { Sidecar } = require(${JSON.stringify(root)});
    const s = new Sidecar({ secretStorage: { get: async () => 'v', store() {}, delete() {} } });
    s.check('secret:k').then((r) => console.log(JSON.stringify(r)));
  `], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { ok: true, scheme: 'secret' });
});
