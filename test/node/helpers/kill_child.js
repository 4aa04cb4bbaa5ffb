'use strict';
// Child of faults_kill.test.js: repeats one write forever, to be SIGKILLed
// at a random moment. Prints "ready" once the first write finished.
//   export DIR FILE  exportProfiles with secrets (native writer) of DIR
//   store FILE       storeSecret to a file: ref (the plaintext file source)
//   save DIR         ProfileStore.save of one profile (JS writer)
if (require.main !== module) return;
const crypto = require('node:crypto');
const { ProfileStore, Sidecar } = require('../../..');
const { makeOps } = require('./sidecar_ops');

const [mode, a, b] = process.argv.slice(2);
(async () => {
  let n = 0;
  if (mode === 'export') {
    const { ops } = makeOps({ policy: { allowSecretExport: true } });
    await ops.storeSecret('secret:kill/key', process.env.KEYREF_KILL_VALUE);
    const store = new ProfileStore(a, ops);
    for (;;) {
      await store.exportProfiles(b, { includeSecrets: true, confirm: () => true });
      if (n++ === 0) process.stdout.write('ready\n');
    }
  } else if (mode === 'store') {
    const s = new Sidecar({ policy: { allowSchemes: ['file'], plaintextFile: a } });
    for (;;) {
      // A new value each time, the same made-up prefix: the file always holds one.
      await s.storeSecret(`file:kill${n % 3}`, `${process.env.KEYREF_KILL_VALUE}${crypto.randomBytes(4).toString('hex')}`);
      if (n++ === 0) process.stdout.write('ready\n');
    }
  } else if (mode === 'save') {
    const store = new ProfileStore(a, new Sidecar());
    for (;;) {
      await store.save({ id: 'victim', label: `v${n}`, provider: 'openai', model: 'm', headers: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`X-Pad-${i}`, 'p'.repeat(1000)])) });
      if (n++ === 0) process.stdout.write('ready\n');
    }
  }
})();
