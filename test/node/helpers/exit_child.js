'use strict';
// Child of exit_inflight.test.js: starts streamed requests with an env: key
// and a describe(), then calls process.exit() after DELAY ms, while they
// run (an extension host reload does the same).
if (require.main !== module) return;
const http = require('node:http');
const { Sidecar } = require('../../..');

const delay = Number(process.argv[2] || 0);
const srv = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let i = 0;
  const t = setInterval(() => {
    res.write(`data: ${i++}\n\n`);
    if (i > 200) { clearInterval(t); res.end(); }
  }, 5);
});
srv.listen(0, '127.0.0.1', () => {
  const origin = `http://127.0.0.1:${srv.address().port}`;
  // apiKeyRef: an env: ref to a variable holding a made-up key.
  const ref = 'env:KEYREF_EXIT_KEY';
  const sc = new Sidecar({ policy: { origins: { [ref]: [origin] } } });
  for (let k = 0; k < 8; k++) {
    sc.request({ provider: 'openai-compatible', baseUrl: origin, apiKeyRef: ref, onEvent: () => {} }).catch(() => {});
  }
  sc.describe(ref).catch(() => {});
  setTimeout(() => process.exit(0), delay);
});
