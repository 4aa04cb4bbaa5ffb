'use strict';
// The keyref CLI while another process holds the plaintext secrets file's
// lock (`.secrets.json.lock`, flock(2): native/src/file_lock.cpp). The test
// holds the lock the way keyref takes it, flock(2) on the lock file, from a
// small python3 child (fcntl.flock is flock(2); util-linux flock(1) would do
// too, but it hands the lock to the command it runs, which then outlives a
// kill of flock itself).
//
// - argv: a key typed as an argument is wiped from /proc/PID/cmdline while
//   the command is still running (here: waiting for the lock), not only
//   after it has finished.
// - the 10 s wait: a write that cannot get the lock gives up with
//   SOURCE_TIMEOUT and a hint after about 10 s, and nothing was written.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BIN, newUser, run, runJson, canary } = require('./helpers');

/**
 * Holds flock(LOCK_EX) on `file` (created 0600, as keyref creates it) in a
 * child process until release() kills it. Resolves once the lock is held.
 */
function holdLock(t, file) {
  const py = [
    'import fcntl, os, sys',
    'fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)',
    'fcntl.flock(fd, fcntl.LOCK_EX)',
    'print("locked", flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', py, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const release = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  t.after(release);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the lock holder did not start within 5 s')), 5000);
    child.stdout.on('data', (d) => {
      if (String(d).includes('locked')) {
        clearTimeout(timer);
        resolve({ release, exited: new Promise((r) => child.on('exit', r)) });
      }
    });
    child.on('error', reject);
  });
}

/** Starts the CLI; `done` resolves to { status, stdout, stderr, ms } (killed after `limitMs`). */
function startCli(t, user, args, { env = user.env, input = '', limitMs = 20000 } = {}) {
  const started = Date.now();
  const child = spawn(BIN, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  t.after(() => { clearTimeout(timer); if (child.exitCode === null) child.kill('SIGKILL'); });
  const done = new Promise((resolve) => child.on('close', (status, signal) => {
    clearTimeout(timer);
    resolve({ status, signal, stdout, stderr, ms: Date.now() - started });
  }));
  return { child, done };
}

function listing(dir) {
  return fs.readdirSync(dir).sort();
}

test('a key given as an argument is gone from /proc/PID/cmdline while the command still runs', async (t) => {
  // No keyring: the fingerprint key then goes to the file backend, so
  // checking file:work writes the secrets file and waits for its lock,
  // after the key-shaped first argument was refused (and wiped).
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-nobus-'));
  t.after(() => fs.rmSync(runtime, { recursive: true, force: true }));
  const user = newUser({ DBUS_SESSION_BUS_ADDRESS: '', XDG_RUNTIME_DIR: runtime });
  assert.equal(runJson(user, 'backendSet', ['backend', 'set', 'file']).status, 0);
  fs.chmodSync(user.config, 0o700);
  const secrets = path.join(user.config, 'secrets.json');
  fs.writeFileSync(secrets, JSON.stringify({ work: canary('work') }), { mode: 0o600 });
  const holder = await holdLock(t, path.join(user.config, '.secrets.json.lock'));

  const literal = `sk-proj-${'Zq4'.repeat(14)}Wx7Y`;
  const cli = startCli(t, user, ['check', literal, 'file:work']);
  const proc = `/proc/${cli.child.pid}/cmdline`;
  let seen = null;
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline && cli.child.exitCode === null) {
    let cmdline;
    try {
      cmdline = fs.readFileSync(proc, 'latin1');
    } catch {
      break;  // gone
    }
    if (cmdline.includes('file:work') && !cmdline.includes(literal.slice(8, 20))) {
      seen = cmdline;
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  // Still running: it waits for the lock the test holds.
  assert.equal(cli.child.exitCode, null, 'the command had already exited');
  assert.ok(seen, 'the key was still in /proc/PID/cmdline 8 s after the start');
  for (let i = 0; i + 8 <= literal.length; i++) {
    assert.ok(!seen.includes(literal.slice(i, i + 8)), `cmdline holds ${i}..${i + 8} of the key`);
  }
  assert.ok(seen.includes('check') && seen.includes('file:work'), 'the other arguments are left as they were');
  // ...and it is at the lock: the fingerprint key it must write is not in
  // the secrets file yet (it is once the lock is free).
  assert.ok(!fs.readFileSync(secrets, 'utf8').includes('keyref:fingerprint-key'));

  holder.release();
  await holder.exited;
  const r = await cli.done;
  assert.equal(r.status, 3, `REF_LITERAL_SECRET decides (${r.stdout}${r.stderr})`);
  assert.match(r.stdout, /argument 2 \(not shown: it looks like a key\)/);  // argv[2]
  assert.ok(!(r.stdout + r.stderr).includes(literal.slice(8, 20)));
  assert.ok(fs.readFileSync(secrets, 'utf8').includes('keyref:fingerprint-key'));
});

test('a write that cannot get the lock gives up after about 10 s with SOURCE_TIMEOUT; nothing is written', async (t) => {
  const user = newUser();
  assert.equal(runJson(user, 'backendSet', ['backend', 'set', 'file']).status, 0);
  const first = canary('first');
  const set = runJson(user, 'secretSet', ['secret', 'set', 'work', '--backend', 'file', '--stdin'], { input: `${first}\n` });
  assert.equal(set.status, 0, set.stdout + set.stderr);
  const secrets = path.join(user.config, 'secrets.json');
  const config = path.join(user.config, 'config.json');
  const before = { secrets: fs.readFileSync(secrets), config: fs.readFileSync(config), files: listing(user.config) };

  const holder = await holdLock(t, path.join(user.config, '.secrets.json.lock'));
  const second = canary('second');
  const cli = startCli(t, user, ['--json', 'secret', 'set', 'other', '--backend', 'file', '--stdin'], { input: `${second}\n` });
  const r = await cli.done;
  assert.equal(r.signal, null, `killed after ${r.ms} ms: no answer within 20 s`);
  assert.ok(r.ms >= 9500 && r.ms < 16000, `gave up after ${r.ms} ms, not about 10 s`);
  assert.equal(r.status, 5, r.stdout + r.stderr);
  const body = JSON.parse(r.stdout);
  assert.equal(body.ok, false);
  assert.equal(body.error.code, 'SOURCE_TIMEOUT');
  assert.ok(body.error.message.includes(path.join(user.config, '.secrets.json.lock')), body.error.message);
  assert.ok(body.error.hint && body.error.hint.length > 0, 'a hint');
  for (const out of [r.stdout, r.stderr]) {
    assert.ok(!out.includes(second.slice(10, 22)) && !out.includes(first.slice(10, 22)));
  }

  // Nothing lost, nothing half-written: both files as they were, no
  // temporary left, and the lock holder's view is unchanged.
  assert.ok(fs.readFileSync(secrets).equals(before.secrets), 'secrets.json changed');
  assert.ok(fs.readFileSync(config).equals(before.config), 'config.json changed');
  assert.deepEqual(listing(user.config), before.files);

  holder.release();
  await holder.exited;
  const checked = runJson(user, 'check', ['check', 'file:work', 'file:other']);
  assert.equal(checked.body.results[0].ok, true);
  assert.equal(checked.body.results[0].fingerprint, set.body.fingerprint);
  assert.equal(checked.body.results[1].error.code, 'SECRET_NOT_FOUND');
  // The lock is free again: the same write now succeeds at once.
  const again = run(user, ['secret', 'set', 'other', '--backend', 'file', '--stdin'], { input: `${second}\n` });
  assert.equal(again.status, 0, again.stdout + again.stderr);
});
