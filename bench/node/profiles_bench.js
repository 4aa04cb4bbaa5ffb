'use strict';
// Figures for the profile store and the webview bridge (printed, never
// asserted): save latency (lock + temp file + 2 fsyncs + rename), list of
// 100 profiles (read + secret check + schema each), and toWebview of a
// 100-profile state message (leak scan + schema).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ProfileStore, Sidecar } = require('../..');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  return out;
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-bench-'));
  const sidecar = new Sidecar();
  const store = new ProfileStore(path.join(dir, 'p'), sidecar);
  const profile = (i) => ({ id: `p${i}`, label: `Profile ${i}`, provider: 'openai', model: 'gpt-4o-mini',
    baseUrl: 'https://api.openai.com/v1', apiKeyRef: `secret:openai/p${i}`,
    headers: { 'OpenAI-Organization': 'org-x' }, options: { temperature: 0.2, maxTokens: 1024 } });
  const saves = await time(100, (i) => store.save(profile(i)));
  const lists = await time(20, () => store.list());
  const { profiles } = await store.list();
  const msg = { type: 'llmProfiles.state', profiles: profiles.map((p) => ({ ...p, secretState: 'stored' })) };
  const posts = await time(50, () => sidecar.toWebview(msg));
  console.log(`save (fsync'd, locked)        median ${median(saves).toFixed(0)} us over 100`);
  console.log(`list of 100 profiles          median ${(median(lists) / 1000).toFixed(2)} ms over 20`);
  console.log(`toWebview, 100-profile state  median ${(median(posts) / 1000).toFixed(2)} ms over 50`);
  sidecar.close();
  fs.rmSync(dir, { recursive: true, force: true });
})();
