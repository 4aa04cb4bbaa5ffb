'use strict';
// Child of exit_inflight.test.js: a request whose secret: key the host
// store never answers, then process.exit(). Prints when it calls exit.
if (require.main !== module) return;
const { Sidecar } = require('../../..');

// apiKeyRef: a secret: ref the store below never answers for.
const ref = 'secret:exit-never';
const sc = new Sidecar({
  secretStorage: { get: () => new Promise(() => {}), store: async () => {}, delete: async () => {} },
  policy: { origins: { [ref]: ['https://api.example.com'] } },
});
sc.request({ provider: 'openai-compatible', baseUrl: 'https://api.example.com', apiKeyRef: ref }).catch(() => {});
setTimeout(() => {
  process.stdout.write(`exit ${Date.now()}\n`);
  process.exit(0);
}, 200);
