'use strict';
// keyref backend show / set and the non-keyring backends, with the real
// programs: headless (no D-Bus session) hints, the 0600 file backend and its
// permission refusals, pass with a throwaway gpg key.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { newUser, run, runJson, canary } = require('./helpers');

function headless(user) {
  const env = { ...user.env, XDG_RUNTIME_DIR: path.join(user.dir, 'run') };
  fs.mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.DISPLAY;
  return env;
}

test('headless (no D-Bus): backend show, secret set and profile use say how to go on', () => {
  const user = newUser();
  const env = headless(user);
  const show = runJson(user, 'backendShow', ['backend', 'show'], { env });
  const keyring = show.body.backends.find((b) => b.backend === 'keyring');
  assert.equal(keyring.state, 'unavailable');
  assert.match(keyring.reason, /no D-Bus session/);
  assert.match(keyring.hint, /keyref backend set file/);
  assert.equal(show.body.backends.find((b) => b.backend === 'file').state, 'disabled');
  const set = runJson(user, 'error', ['secret', 'set', 'hl', '--stdin'], { env, input: `${canary('hl')}\n` });
  assert.equal(set.status, 5);
  assert.equal(set.body.error.code, 'SOURCE_UNAVAILABLE');
  assert.match(set.body.error.hint, /no D-Bus session.*keyref backend set file/);
  run(user, ['profile', 'create', 'hl', '--provider', 'openai', '--model', 'm', '--secret', 'hl'], { env });
  const use = runJson(user, 'error', ['profile', 'use', 'hl'], { env });
  assert.equal(use.status, 5);
  assert.match(use.body.error.message, /^profile 'hl' references secret 'hl' in the keyring, but no keyring is reachable \(there is no D-Bus session\)/);
  // The way out the hint names works without D-Bus.
  assert.equal(runJson(user, 'backendSet', ['backend', 'set', 'file'], { env }).status, 0);
  const stored = runJson(user, 'secretSet', ['secret', 'set', 'hl', '--stdin'], { env, input: `${canary('hl')}\n` });
  assert.equal(stored.status, 0);
  assert.equal(stored.body.ref, 'file:hl');
  // No keyring: the fingerprint key is kept in the file backend, so the
  // fingerprint is shown and stays the same from run to run.
  assert.match(stored.body.fingerprint, /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
  const again = runJson(user, 'secretGet', ['secret', 'get', 'hl'], { env });
  assert.equal(again.body.fingerprint, stored.body.fingerprint);
  assert.equal(runJson(user, 'check', ['check', 'file:hl'], { env }).status, 0);
});

test('file backend: opt-in, 0600, and refused when others can read it', () => {
  const user = newUser();
  const key = canary('file');
  assert.equal(runJson(user, 'error', ['secret', 'set', 'f1', '--backend', 'file', '--stdin'], { input: `${key}\n` }).body.error.code,
    'REF_SCHEME_DISABLED');
  const set = runJson(user, 'backendSet', ['backend', 'set', 'file']);
  assert.equal(set.body.default, 'file');
  const cfg = path.join(user.config, 'config.json');
  assert.equal(fs.statSync(cfg).mode & 0o777, 0o600);
  const stored = runJson(user, 'secretSet', ['secret', 'set', 'f1', '--stdin'], { input: `${key}\n` });
  assert.equal(stored.body.ref, 'file:f1');
  const file = path.join(user.config, 'secrets.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(runJson(user, 'check', ['check', 'file:f1']).status, 0);
  fs.chmodSync(file, 0o644);
  const denied = runJson(user, 'error', ['secret', 'get', 'f1']);
  assert.equal(denied.status, 5);
  assert.equal(denied.body.error.code, 'SOURCE_DENIED');
  assert.match(denied.body.error.hint, /chmod 600/);
  const show = runJson(user, 'backendShow', ['backend', 'show']);
  const f = show.body.backends.find((b) => b.backend === 'file');
  assert.equal(f.state, 'unavailable');
  assert.match(f.hint, /chmod 600/);
  fs.chmodSync(file, 0o600);
  fs.chmodSync(user.config, 0o755);
  const dir = runJson(user, 'error', ['secret', 'set', 'f2', '--stdin'], { input: `${key}\n` });
  assert.equal(dir.body.error.code, 'SOURCE_DENIED');
  assert.match(dir.body.error.hint, /chmod 700/);
  fs.chmodSync(user.config, 0o700);
  assert.equal(runJson(user, 'secretGet', ['secret', 'get', 'f1']).status, 0);
});

test('pass backend with a throwaway gpg key; pass without a usable key is reported', () => {
  const user = newUser();
  const gnupg = path.join(user.dir, 'gnupg');
  fs.mkdirSync(gnupg, { mode: 0o700 });
  const env = { ...user.env, GNUPGHOME: gnupg, PASSWORD_STORE_DIR: path.join(user.dir, 'store') };
  const sh = (cmd) => execFileSync('bash', ['-c', cmd], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    // No protection, ed25519 + cv25519: made in well under a second.
    sh("gpg --batch --quiet --passphrase '' --quick-generate-key 'keyref cli test <cli@keyref.invalid>' ed25519 cert,sign never");
    const fpr = sh('gpg --batch --with-colons --list-keys cli@keyref.invalid | awk -F: \'/^fpr/{print $10; exit}\'').toString().trim();
    sh(`gpg --batch --quiet --passphrase '' --quick-add-key ${fpr} cv25519 encr never`);
    sh('pass init cli@keyref.invalid >/dev/null');
    const show = runJson(user, 'backendShow', ['backend', 'show'], { env });
    assert.equal(show.body.backends.find((b) => b.backend === 'pass').state, 'reachable');
    const key = canary('pass');
    const set = runJson(user, 'secretSet', ['secret', 'set', 'p1', '--backend', 'pass', '--stdin'], { env, input: `${key}\n` });
    assert.equal(set.status, 0, set.stdout);
    assert.equal(set.body.ref, 'pass:keyref/p1');
    assert.equal(runJson(user, 'check', ['check', 'pass:keyref/p1'], { env }).status, 0);
    assert.equal(sh('pass show keyref/p1').toString(), `${key}\n`);
    assert.equal(runJson(user, 'secretGet', ['secret', 'get', 'p1'], { env }).body.backend, 'pass');
    assert.equal(runJson(user, 'secretRm', ['secret', 'rm', 'p1', '--yes'], { env }).status, 0);
    assert.equal(runJson(user, 'check', ['check', 'pass:keyref/p1'], { env }).status, 4);
    // A store whose gpg id has no secret key here.
    const other = { ...env, PASSWORD_STORE_DIR: path.join(user.dir, 'store2') };
    fs.mkdirSync(other.PASSWORD_STORE_DIR);
    fs.writeFileSync(path.join(other.PASSWORD_STORE_DIR, '.gpg-id'), 'nobody@keyref.invalid\n');
    const p = runJson(user, 'backendShow', ['backend', 'show'], { env: other }).body.backends.find((b) => b.backend === 'pass');
    assert.equal(p.state, 'unavailable');
    assert.match(p.reason, /no secret key/);
    assert.match(p.hint, /pass init/);
  } finally {
    spawnKill(env);
  }
});

function spawnKill(env) {
  try {
    execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
  } catch {
    // no agent running
  }
}

test('npx keyref: the package bin runs the native command with its exit status', () => {
  const user = newUser();
  const shim = path.join(__dirname, '..', '..', 'bin', 'keyref.js');
  const v = execFileSync(process.execPath, [shim, '--version'], { env: user.env, encoding: 'utf8' });
  assert.match(v, /^keyref \d+\.\d+\.\d+/);
  const pkg = require('../../package.json');
  assert.equal(pkg.bin.keyref, 'bin/keyref.js');
  let status = 0;
  try {
    execFileSync(process.execPath, [shim, 'check', 'env:KEYREF_CLI_TEST_UNSET_VAR'], { env: user.env, stdio: 'ignore' });
  } catch (e) {
    status = e.status;
  }
  assert.equal(status, 4);
});

test('the package build (npm install: node-gyp) builds the command the shim finds', () => {
  // build/Release/keyref comes from binding.gyp's keyref_cli target, the
  // same cli/ sources CMake builds; without it `npx keyref` after npm
  // install would only print the build hint.
  const root = path.join(__dirname, '..', '..');
  const built = path.join(root, 'build', 'Release', 'keyref');
  assert.ok(fs.statSync(built).mode & 0o111, `${built} is not executable`);
  const v = execFileSync(built, ['--version'], { encoding: 'utf8' });
  assert.match(v, /^keyref \d+\.\d+\.\d+/);
  const gypSources = execFileSync(process.execPath, [path.join(root, 'scripts', 'gyp-sources.js'), '--cli'],
    { encoding: 'utf8' }).split(' ').sort();
  const cliSources = fs.readdirSync(path.join(root, 'cli')).filter((f) => f.endsWith('.cpp'))
    .map((f) => `cli/${f}`).sort();
  assert.deepEqual(gypSources, cliSources);
});
