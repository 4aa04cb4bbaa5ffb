'use strict';
// keyref migrate pointed at a folder that is not keyref's (a project, a
// dotfiles checkout): it must not change what is not its own, must not say
// "migrated" while the key stays on disk under another name, and must not
// hang on what is not a file. Each case was found by a review; before the
// fix the folder became 0700, an editor's ".x.tmp" files were deleted, a
// symlinked legacy profile was reported migrated with its key left in the
// target, and a FIFO named x.json hung the command with the folder locked.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { BIN, newUser, runJson, canary } = require('./helpers');

test('migrate leaves a foreign folder\'s mode and other programs\' temporary files alone', () => {
  const user = newUser();
  const dir = path.join(user.dir, 'project');
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  const theirs = ['.build.tmp', '.editor-swap.tmp', '.notes.json.tmp'];
  for (const f of theirs) fs.writeFileSync(path.join(dir, f), 'user data\n');
  // Temporary files of keyref's own (the CLI's, 16 hex; ProfileStore's, 12),
  // left by writers that died mid-save.
  const ours = ['.envp.json.12345.0123456789abcdef.tmp', '.envp.json.777.0123456789ab.tmp'];
  for (const f of ours) fs.writeFileSync(path.join(dir, f), '{}\n', { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'envp.json'), JSON.stringify({ id: 'envp', label: 'E', provider: 'openai',
    model: 'm', api_key_env: 'OPENAI_API_KEY' }), { mode: 0o600 });
  const r = runJson(user, 'migrate', ['migrate', dir]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o755, 'the folder keeps its mode');
  for (const f of theirs) assert.equal(fs.readFileSync(path.join(dir, f), 'utf8'), 'user data\n', `${f} is untouched`);
  for (const f of ours) assert.ok(!fs.existsSync(path.join(dir, f)), `keyref's own stale ${f} is removed`);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'envp.json'), 'utf8')).apiKeyRef, 'env:OPENAI_API_KEY');
});

test('a symlinked or hard-linked legacy profile is refused, not reported migrated with its key left behind', () => {
  const user = newUser();
  const key = canary('link');
  const real = path.join(user.dir, 'dotfiles');
  const dir = path.join(user.dir, 'profiles');
  fs.mkdirSync(real, { mode: 0o700 });
  fs.mkdirSync(dir, { mode: 0o700 });
  const doc = (id) => JSON.stringify({ id, label: id, provider: 'openai', model: 'm', apiKey: key });
  fs.writeFileSync(path.join(real, 'sym.json'), doc('sym'), { mode: 0o600 });
  fs.symlinkSync(path.join(real, 'sym.json'), path.join(dir, 'sym.json'));
  fs.writeFileSync(path.join(real, 'hard.json'), doc('hard'), { mode: 0o600 });
  fs.linkSync(path.join(real, 'hard.json'), path.join(dir, 'hard.json'));
  const r = runJson(user, 'migrate', ['migrate', dir, '--yes']);
  assert.notEqual(r.status, 0);
  const byId = Object.fromEntries(r.body.entries.map((e) => [e.id, e]));
  for (const id of ['sym', 'hard']) {
    assert.equal(byId[id].action, 'failed', `${id}: ${JSON.stringify(byId[id])}`);
    assert.equal(byId[id].error.code, 'PROFILE_INVALID');
    assert.match(byId[id].error.message, id === 'sym' ? /symbolic link/ : /hard link/);
  }
  assert.ok(fs.lstatSync(path.join(dir, 'sym.json')).isSymbolicLink(), 'the link is left as it was');
  assert.equal(fs.statSync(path.join(dir, 'hard.json')).nlink, 2);
  assert.ok(!r.stdout.includes(key.slice(0, 12)) && !r.stderr.includes(key.slice(0, 12)));
});

test('a FIFO named like a profile is reported, not read: profile check and migrate return', () => {
  const user = newUser();
  const dir = path.join(user.dir, 'fifo');
  fs.mkdirSync(dir, { mode: 0o700 });
  const made = spawnSync('mkfifo', [path.join(dir, 'x.json')]);
  if (made.status !== 0) {
    test.skip('mkfifo is not available');
    return;
  }
  for (const args of [['profile', 'check', dir], ['migrate', dir]]) {
    // Bounded: before, this waited for a writer that never comes.
    const r = spawnSync(BIN, ['--json', ...args], { env: user.env, encoding: 'utf8', timeout: 10000 });
    assert.equal(r.signal, null, `${args.join(' ')} was killed after 10 s: it hung`);
    assert.match(r.stdout, /not a regular file/, args.join(' '));
  }
});

// A file name is anyone's bytes: printed raw, "x\e]0;PWNED\a\e[2J.json"
// retitled and cleared the terminal of whoever ran profile check or migrate
// on the folder. Text output shows control bytes as \xNN; --json escapes
// them as JSON does.
test('control bytes in file names reach the terminal escaped', () => {
  const user = newUser();
  const dir = path.join(user.dir, 'esc');
  fs.mkdirSync(dir, { mode: 0o700 });
  const name = 'x\u001b]0;PWNED\u0007\u001b[2J.json';
  fs.writeFileSync(path.join(dir, name), '{}', { mode: 0o600 });
  for (const args of [['profile', 'check', dir], ['migrate', dir, '--dry-run']]) {
    const r = spawnSync(BIN, args, { env: user.env, encoding: 'utf8', timeout: 30000 });
    const all = r.stdout + r.stderr;
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(all), `${args.join(' ')}: a raw control byte was printed`);
    assert.match(all, /x\\x1b\]0;PWNED\\x07\\x1b\[2J/, args.join(' '));
  }
});

// `pass insert` reads the key on stdin. Before, the whole key was written
// before the 30 s timeout started, so a pass that never reads (a stuck
// gpg, a stand-in) held the CLI for ever once the key was larger than the
// pipe's buffer. Now the write is part of the timed wait: SOURCE_TIMEOUT
// after 30 s, and the stand-in's process group is killed. (A stand-in for
// pass and gpg on PATH: the point is a child that never reads.)
test('a pass that never reads its stdin times out even with a 64 KiB key', () => {
  const user = newUser();
  const bin = path.join(user.dir, 'fakebin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'pass'), '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'gpg'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const store = path.join(user.dir, 'password-store');
  fs.mkdirSync(store, { mode: 0o700 });
  fs.writeFileSync(path.join(store, '.gpg-id'), 'stand-in@keyref.invalid\n');
  const env = { ...user.env, PATH: `${bin}:${process.env.PATH}`, PASSWORD_STORE_DIR: store };
  const key = `sk-proj-${'A'.repeat(64 * 1024 - 8)}`;
  const started = Date.now();
  const r = spawnSync(BIN, ['--json', 'secret', 'set', 'big', '--backend', 'pass', '--stdin'],
    { env, input: `${key}\n`, encoding: 'utf8', timeout: 90000 });
  assert.equal(r.signal, null, `the CLI was killed after ${Date.now() - started} ms: it hung`);
  assert.equal(JSON.parse(r.stdout).error.code, 'SOURCE_TIMEOUT', r.stdout);
  assert.ok(!r.stdout.includes(key.slice(0, 20)) && !r.stderr.includes(key.slice(0, 20)));
  const left = spawnSync('pgrep', ['-f', `${bin}/pass`]).stdout?.toString().trim();
  assert.equal(left || '', '', 'the stand-in was killed');
});
