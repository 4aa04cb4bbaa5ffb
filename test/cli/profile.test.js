'use strict';
// keyref profile create / list / use / check against the real keyring
// (scripts/with-keyring.sh): files in the ProfileStore's format, and the
// pre-flight of `profile use` — found, missing, locked (a private session
// whose collection is locked over D-Bus), and a baseUrl changed by hand.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Sidecar, ProfileStore } = require('../..');
const { BIN, newUser, run, runJson, canary, assertProfile, assertShape } = require('./helpers');

function activeOf(user) {
  const f = path.join(user.config, 'config.json');
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')).activeProfile : undefined;
}

test('profile create writes the profile store format (schema, 0600, atomic) and binds the key', async () => {
  const user = newUser();
  run(user, ['secret', 'set', 'local', '--stdin'], { input: `${canary('create')}\n` });
  const r = runJson(user, 'profileCreate', ['profile', 'create', 'local', '--provider', 'openai-compatible',
    '--model', 'm1', '--base-url', 'http://127.0.0.1:8080/v1', '--secret', 'local']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.body.apiKeyRef, 'keyring:keyref/local');
  assert.deepEqual(r.body.origins, ['http://127.0.0.1:8080']);
  const file = path.join(user.config, 'profiles', 'local.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  assertProfile(doc);
  assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['.keyref-profiles.lock', 'local.json']);
  // The extension's own store reads it as a valid profile.
  const s = new Sidecar();
  try {
    const { profiles, invalid } = await new ProfileStore(path.dirname(file), s).list();
    assert.deepEqual(invalid, []);
    assert.deepEqual(profiles, [doc]);
    assert.ok((await s.describe('keyring:keyref/local')).origins.includes('http://127.0.0.1:8080'));
  } finally {
    s.close();
  }
  const again = runJson(user, 'error', ['profile', 'create', 'local', '--provider', 'openai', '--model', 'm', '--secret', 'local']);
  assert.equal(again.status, 3);
  const http = runJson(user, 'error', ['profile', 'create', 'remote', '--provider', 'openai-compatible', '--model', 'm',
    '--base-url', 'http://llm.example.com/v1', '--secret', 'local']);
  assert.equal(http.body.error.code, 'BAD_ORIGIN');
  assert.ok(!fs.existsSync(path.join(user.config, 'profiles', 'remote.json')));
});

test('profile use: switches only when the key resolves, with the hint to fix it', () => {
  const user = newUser();
  runJson(user, 'profileCreate', ['profile', 'create', 'openrouter', '--provider', 'openrouter',
    '--model', 'openai/gpt-4o', '--secret', 'openrouter']);
  const missing = runJson(user, 'error', ['profile', 'use', 'openrouter']);
  assert.equal(missing.status, 4);
  assert.equal(missing.body.error.code, 'SECRET_NOT_FOUND');
  assert.match(missing.body.error.message,
    /^profile 'openrouter' references secret 'openrouter' but no entry was found in the keyring\./);
  assert.equal(missing.body.error.hint, 'Run: keyref secret set openrouter');
  assert.equal(activeOf(user), undefined);
  run(user, ['secret', 'set', 'openrouter', '--stdin'], { input: `${canary('use')}\n` });
  const found = runJson(user, 'profileUse', ['profile', 'use', 'openrouter']);
  assert.equal(found.status, 0, found.stdout);
  assert.ok(found.body.origins.includes('https://openrouter.ai'));
  assert.equal(activeOf(user), 'openrouter');
  const list = runJson(user, 'profileList', ['profile', 'list']);
  assert.deepEqual(list.body.profiles.map((p) => [p.id, p.active, p.valid]), [['openrouter', true, true]]);
  assert.equal(runJson(user, 'error', ['profile', 'use', 'nope']).body.error.code, 'CLI_PROFILE_NOT_FOUND');
  assert.equal(activeOf(user), 'openrouter');
});

test('profile use refuses a baseUrl the key is not bound to (changed by hand)', () => {
  const user = newUser();
  run(user, ['secret', 'set', 'lb', '--stdin'], { input: `${canary('origin')}\n` });
  run(user, ['profile', 'create', 'lb', '--provider', 'openai-compatible', '--model', 'm',
    '--base-url', 'http://127.0.0.1:8080/v1', '--secret', 'lb']);
  const file = path.join(user.config, 'profiles', 'lb.json');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('127.0.0.1', '127.0.0.2'));
  const r = runJson(user, 'error', ['profile', 'use', 'lb']);
  assert.equal(r.status, 7);
  assert.equal(r.body.error.code, 'KEY_ORIGIN_DENIED');
  assert.match(r.body.error.hint, /keyref secret bind lb --origin/);
  assert.equal(activeOf(user), undefined);
  assert.equal(runJson(user, 'secretBind', ['secret', 'bind', 'lb', '--origin', 'http://127.0.0.2:8080']).status, 0);
  assert.equal(runJson(user, 'profileUse', ['profile', 'use', 'lb']).status, 0);
});

test('profile use in a locked keyring: its own hint, nothing changes', () => {
  const user = newUser();
  // A private session: locking its collection cannot disturb other tests.
  const script = `
    set -e
    eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
    printf '%s\\n' "$KEY" | "$BIN" secret set lk --stdin >/dev/null
    "$BIN" profile create lk --provider openrouter --model m --secret lk >/dev/null
    "$BIN" profile use lk >/dev/null
    "$BIN" profile create lk2 --provider openrouter --model m --secret lk >/dev/null
    gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \\
      --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/aliases/default']" >/dev/null
    set +e
    "$BIN" --json profile use lk2; echo "exit=$?"
    "$BIN" --json backend show`;
  const r = spawnSync('dbus-run-session', ['--', 'bash', '-c', script], {
    env: { ...user.env, BIN, KEY: canary('locked'), XDG_DATA_HOME: path.join(user.dir, 'data'),
      XDG_RUNTIME_DIR: user.dir },
    encoding: 'utf8', timeout: 60000 });
  const [useOut, rest] = r.stdout.split(/^exit=/m);
  const use = JSON.parse(useOut);
  assertShape('error', use);
  assert.equal(rest.split('\n')[0], '5', r.stdout + r.stderr);
  assert.equal(use.error.code, 'SOURCE_LOCKED');
  assert.match(use.error.message, /^profile 'lk2' references secret 'lk' in the keyring, but the keyring is locked/);
  assert.match(use.error.hint, /gnome-keyring-daemon --unlock/);
  assert.equal(activeOf(user), 'lk', 'the active profile did not change');
  const show = JSON.parse(rest.slice(rest.indexOf('\n') + 1));
  assertShape('backendShow', show);
  assert.equal(show.backends.find((b) => b.backend === 'keyring').state, 'locked');
});

test('profile check: a folder, one verdict per profile, exit 0 only if all resolve', () => {
  const user = newUser();
  run(user, ['secret', 'set', 'pc', '--stdin'], { input: `${canary('pc')}\n` });
  run(user, ['profile', 'create', 'good', '--provider', 'openai', '--model', 'm', '--secret', 'pc']);
  const dir = path.join(user.config, 'profiles');
  assert.equal(runJson(user, 'profileCheck', ['profile', 'check', dir]).status, 0);
  run(user, ['profile', 'create', 'bad', '--provider', 'openai', '--model', 'm', '--secret', 'absent']);
  fs.writeFileSync(path.join(dir, 'legacy.json'), JSON.stringify({ id: 'legacy', label: 'l', provider: 'openai',
    model: 'm', api_key_env: 'OPENAI_API_KEY' }));
  const r = runJson(user, 'profileCheck', ['profile', 'check', dir]);
  assert.equal(r.status, 4);
  assert.deepEqual(r.body.results.map((x) => [x.id, x.ok, x.error && x.error.code]),
    [['bad', false, 'SECRET_NOT_FOUND'], ['good', true, undefined], ['legacy', false, 'PROFILE_INVALID']]);
  assert.match(r.body.results[2].error.hint, /keyref migrate/);
  // --force never replaces a legacy file: migrate it instead.
  const legacy = fs.readFileSync(path.join(dir, 'legacy.json'), 'utf8');
  const force = runJson(user, 'error', ['profile', 'create', 'legacy', '--provider', 'openai', '--model', 'm',
    '--secret', 'pc', '--force']);
  assert.equal(force.status, 3);
  assert.match(force.body.error.hint, /keyref migrate/);
  assert.equal(fs.readFileSync(path.join(dir, 'legacy.json'), 'utf8'), legacy);
  assert.equal(runJson(user, 'profileCheck', ['profile', 'check', path.join(dir, 'good.json')]).status, 0);
});
