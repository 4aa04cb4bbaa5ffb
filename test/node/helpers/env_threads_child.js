'use strict';
// Run by env_threads.test.js under the LD_PRELOAD guard (env_guard.c): the
// operations that resolve or connect on keyref's worker threads, while the
// JS thread keeps adding variables to process.env (setenv, which may move
// the array getenv() walks).
const { Sidecar } = require(process.env.KEYREF_ROOT);

async function main() {
  const [url, caFile] = [process.env.KEYREF_T_URL, process.env.KEYREF_T_CA];
  // apiKeyRef: an env: ref to a variable holding a made-up key.
  const ref = 'env:KEYREF_T_KEY';
  const s = new Sidecar({ policy: { caFile, allowSchemes: ['env', 'pass'], origins: { [ref]: [url] } } });
  let n = 0;
  const churn = setInterval(() => { process.env[`KEYREF_T_CHURN_${n++}`] = 'x'.repeat(64); }, 0);
  try {
    for (let i = 0; i < 8; i++) {
      const res = await s.request({ provider: 'openai-compatible', baseUrl: url, apiKeyRef: ref, path: '/v1/x' });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
    }
    const d = await s.describe(ref);
    if (!d.fingerprint) throw new Error('no fingerprint');
    // pass: runs pass(1) on a worker (no such entry: any answer will do).
    await s.check('pass:keyref-env-threads/none');
  } finally {
    clearInterval(churn);
    s.close();
  }
  process.stdout.write(`ok ${n}\n`);
}
main().catch((e) => { process.stderr.write(`${e.code || ''} ${e.message}\n`); process.exit(1); });
