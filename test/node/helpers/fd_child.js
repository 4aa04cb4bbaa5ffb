'use strict';
// Child of faults_fd.test.js, started with a low RLIMIT_NOFILE. Uses up
// every free descriptor, runs requests and resolutions (they must fail with
// a code, not crash), frees them, runs the same again (they must succeed),
// and prints the outcomes and the fd counts as JSON.
if (require.main !== module) return;
const fs = require('node:fs');
const { Sidecar } = require('../../..');

const [port, keyringRef, plaintextFile] = process.argv.slice(2);
const fdCount = () => fs.readdirSync('/proc/self/fd').length;

(async () => {
  const s = new Sidecar({ policy: { allowSchemes: ['env', 'keyring', 'file'], plaintextFile,
    origins: { 'env:KEYREF_FD_KEY': [`http://127.0.0.1:${port}`] } } });
  const ops = {
    request: () => s.request({ provider: 'openai', baseUrl: `http://127.0.0.1:${port}`, path: '/ok',
      apiKeyRef: 'env:KEYREF_FD_KEY', timeoutMs: 10000 }),
    env: () => s.check('env:KEYREF_FD_KEY'),
    keyring: () => s.check(keyringRef),
    file: () => s.check(`file:fdtest`),
  };
  const run = async () => {
    const out = {};
    for (const [name, fn] of Object.entries(ops)) {
      try {
        const r = await fn();
        out[name] = r.status !== undefined ? `status ${r.status}` : (r.ok ? 'ok' : r.code);
      } catch (e) {
        out[name] = e.code ?? String(e);
      }
    }
    return out;
  };
  const warm = await run();  // connections, D-Bus, threads: all set up once
  const baseline = fdCount();
  const held = [];
  try {
    for (;;) held.push(fs.openSync('/dev/null', 'r'));
  } catch (e) {
    if (e.code !== 'EMFILE') throw e;
  }
  const exhausted = await run();
  for (const fd of held) fs.closeSync(fd);
  const recovered = await run();
  s.close();
  process.stdout.write(JSON.stringify({ warm, exhausted, recovered, baseline, after: fdCount(), held: held.length }));
})().catch((e) => {
  process.stdout.write(JSON.stringify({ crash: String(e && e.stack) }));
  process.exitCode = 1;
});
