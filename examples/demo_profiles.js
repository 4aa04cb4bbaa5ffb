'use strict';
// keyref demo, profiles part: a profile saved (only its ref reaches the
// disk), what the "LLM Profiles" webview is shown, and leaks refused.
// examples/demo.js calls it; `node examples/demo_profiles.js` runs it alone.
const fs = require('fs');
const os = require('os');
const path = require('path');
const keyref = require('..');

// The host's secret store: VS Code passes context.secrets; this is an
// in-memory object of the same shape.
function hostSecretStore() {
  const map = new Map();
  return {
    async get(key) { return map.get(key); },
    async store(key, value) { map.set(key, value); },
    async delete(key) { map.delete(key); },
  };
}

function makeSidecar() {
  return { sidecar: new keyref.Sidecar({ secretStorage: hostSecretStore() }), note: '' };
}

/** Runs the profiles demo, printing with `log` (default console.log). */
async function demoProfiles(log = console.log) {
  const section = (title) => log(`\n== ${title}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-demo-profiles-'));
  const { sidecar, note } = makeSidecar();
  try {
    const store = new keyref.ProfileStore(path.join(dir, 'profiles'), sidecar);
    // A made-up key of the right shape, built at run time.
    const fakeKey = ['sk', 'proj', 'Xq7Rt2Lm9Vb4Nc8Wd1Zf6Hg3Jk5Pa0Se'].join('-');

    section(`LLM profiles: the key goes to the secret store, the profile keeps a ref${note}`);
    // What the webview's "API key" field sends, once:
    const reply = await sidecar.acceptSecretFromWebview(
      { type: 'llmProfiles.storeSecret', profileId: 'work', value: fakeKey });
    log(`  webview -> host  llmProfiles.storeSecret (the key, once)`);
    log(`  host -> webview  ${JSON.stringify(reply)}`);
    // apiKeyRef: the ref the reply names (secret:keyref/profiles/work), a
    // place in the secret store, never the key: the file is safe to sync.
    await store.save({ id: 'work', label: 'Work (OpenAI)', provider: 'openai', model: 'gpt-4o-mini',
      baseUrl: 'https://api.openai.com/v1', apiKeyRef: reply.apiKeyRef });
    await store.save({ id: 'local', label: 'Local Llama', provider: 'ollama', model: 'llama3.1',
      baseUrl: 'http://127.0.0.1:11434' });
    const file = path.join(store.dir, 'work.json');
    const mode = (fs.statSync(file).mode & 0o777).toString(8);
    log(`  saved ${path.basename(file)} (mode ${mode}):`);
    for (const line of fs.readFileSync(file, 'utf8').trimEnd().split('\n')) log(`    ${line}`);

    section('What the webview is shown (sidecar.webviewState)');
    const { profiles } = await store.list();
    const state = await sidecar.webviewState(profiles, { selectedId: 'work' });
    for (const p of state.profiles) {
      // fingerprint: a keyed digest that tells keys apart (never a piece of
      // one); origins: where the key may be sent (docs/origins.md).
      log(`  ${p.id.padEnd(6)} ${p.label.padEnd(14)} apiKeyRef=${String(p.apiKeyRef ?? '-').padEnd(28)} ` +
        `state=${p.secretState}${p.fingerprint ? ` fingerprint=${p.fingerprint}` : ''}` +
        `${p.origins ? ` origins=${p.origins.join(',') || '(none)'}` : ''}`);
    }

    section('Leaks refused');
    const tries = [
      ['save a profile with an apiKey field', () => store.save({ id: 'x', label: 'X', provider: 'openai', model: 'm', apiKey: fakeKey })],
      // Deliberately wrong: a key where a ref belongs, to show the refusal.
      ['save a key pasted into apiKeyRef', () => store.save({ id: 'x', label: 'X', provider: 'openai', model: 'm', apiKeyRef: fakeKey })],
      ['save an Authorization header', () => store.save({ id: 'x', label: 'X', provider: 'openai', model: 'm', headers: { Authorization: 'Bearer abc' } })],
      ['save a baseUrl with ?key=', () => store.save({ id: 'x', label: 'X', provider: 'gemini', model: 'm', baseUrl: 'https://example.com/v1?key=abc' })],
      ['send the webview a "prefill" of the key', async () => sidecar.toWebview({ type: 'llmProfiles.state',
        profiles: [{ ...profiles[1], secretState: 'stored', apiKey: fakeKey }] })],
      ['send the webview an error quoting the key', async () => sidecar.toWebview({ type: 'llmProfiles.error',
        code: 'INTERNAL', message: `request failed for ${fakeKey}` })],
      ['export with secrets (policy closed)', () => store.exportProfiles(path.join(dir, 'x.json'),
        { includeSecrets: true, confirm: () => true })],
    ];
    for (const [what, run] of tries) {
      try {
        await run();
        log(`  NOT refused: ${what}`);
      } catch (err) {
        log(`  refused  ${what}: ${err.code}: ${err.message}`);
      }
    }
    const report = await store.exportProfiles(path.join(dir, 'profiles-export.json'));
    log(`  exported without secrets instead: ${report.profiles} profiles, ${report.secrets} secrets`);
  } finally {
    sidecar.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { demoProfiles };

if (require.main === module) {
  demoProfiles().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
