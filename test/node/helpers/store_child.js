'use strict';
// Child process of profiles_concurrency.test.js (child_process.fork). Modes:
//   save DIR PREFIX COUNT SHARED  save COUNT own profiles and SHARED shared ones
//   count DIR N                   N read-modify-write increments under the lock
//   churn DIR                     save one big profile forever (to be SIGKILLed)
// It waits for 'go' from the parent so that two children start together.
if (require.main !== module || !process.send) return;
const fs = require('node:fs');
const path = require('node:path');
const { ProfileStore, Sidecar } = require('../../..');
const { withDirLock } = require('../../../addon/dist/profiles.js');

const [mode, dir, a, b, c] = process.argv.slice(2);
// Only redact is used by save(); a bare real Sidecar provides it.
const store = new ProfileStore(dir, new Sidecar(), { lockTimeoutMs: 60000 });

function big(tag) {
  const headers = {};
  for (let i = 0; i < 60; i++) headers[`X-Pad-${i}`] = tag.repeat(1000);
  return { id: 'victim', label: `version ${tag}`, provider: 'openai', model: 'm', headers };
}

async function run() {
  if (mode === 'save') {
    const [prefix, count, shared] = [a, Number(b), Number(c)];
    for (let i = 0; i < count; i++) {
      await store.save({ id: `${prefix}-${i}`, label: `${prefix} ${i}`, provider: 'openai', model: 'm' });
      if (i < shared) await store.save({ id: `shared-${i}`, label: `from ${prefix}`, provider: 'openai', model: 'm' });
    }
  } else if (mode === 'count') {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'counter');
    for (let i = 0; i < Number(a); i++) {
      await withDirLock(dir, 60000, async () => {
        const n = Number(fs.readFileSync(file, 'utf8'));
        await new Promise((r) => setImmediate(r));  // widen the window a lost update needs
        fs.writeFileSync(file, String(n + 1));
      });
    }
  } else if (mode === 'churn') {
    await store.save(big('a'));
    process.send('saved');
    for (let i = 0; ; i++) await store.save(big(i % 2 ? 'a' : 'b'));
  }
}

process.on('message', (m) => {
  if (m !== 'go') return;
  run().then(() => process.send('done'), (err) => {
    process.send(`error ${err.code} ${err.message}`);
    process.exitCode = 1;
  }).finally(() => { if (mode !== 'churn') process.disconnect(); });
});
process.send('ready');
