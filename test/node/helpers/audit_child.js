'use strict';
// Child process of audit_shared.test.js (child_process.fork): one Sidecar
// writing an audit file that another process writes too, as a second VS
// Code window with the same setting would.
//   audit_child.js FILE TAG MAX_BYTES MAX_FILES
// On each message { send: N } it sends N requests that are refused before
// anything is resolved or connected (a key bound nowhere), with the paths
// /TAG-i counting on from the last, one after another, then answers 'sent'.
// On 'close' it closes the Sidecar and leaves.
if (require.main !== module || !process.send) return;
const { Sidecar } = require('../../..');

const [file, tag, maxBytes, maxFiles] = process.argv.slice(2);
const sidecar = new Sidecar({ auditFile: { path: file, maxBytes: Number(maxBytes), maxFiles: Number(maxFiles) } });
let next = 0;

async function send(n) {
  for (let k = 0; k < n; k++, next++) {
    const err = await sidecar.request({ provider: 'openai-compatible', baseUrl: 'https://unbound.invalid',
      path: `/${tag}-${next}`, apiKeyRef: 'env:KEYREF_AUDIT_CHILD' }).then(() => null, (e) => e);
    if (!err || err.code !== 'KEY_ORIGIN_UNBOUND') throw new Error(`request ${next}: ${err ? err.code : 'sent'}`);
  }
}

process.on('message', (m) => {
  if (m === 'close') {
    sidecar.close();
    process.disconnect();
    return;
  }
  send(m.send).then(() => process.send('sent'), (err) => {
    process.send(`error ${err.message}`);
    process.exitCode = 1;
  });
});
process.send('ready');
