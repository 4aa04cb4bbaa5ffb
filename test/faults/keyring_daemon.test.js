'use strict';
// Fault injection on the keyring daemon (docs/reliability.md, "Keyring
// daemon"). The test owns its D-Bus session and its gnome-keyring: it starts
// a private dbus-daemon (a session bus with no service activation, so a
// killed daemon stays dead instead of being restarted locked by the bus)
// and a gnome-keyring-daemon in the foreground on it, before anything in
// this process talks to D-Bus. So it never signals the daemon other tests
// share, and runs in the Node suite (scripts/test.sh). Cases: the daemon
// killed in the middle of a lookup, restarted (the same on-disk keyring),
// and frozen (SIGSTOP) during a store. Each call ends with a stable code
// within the resolve timeout, the same Sidecar works again after the
// restart, the entries survive, and no value reaches a message.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { assertNoCanary } = require('../node/helpers/canary');

const PASSWORD = 'keyref-faults';  // of the throwaway login keyring
const SERVICE = 'keyref-faults';
const ORIGIN = 'https://api.example.com';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-faults-'));
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['dbus-daemon', 'gnome-keyring-daemon', 'secret-tool'].filter((c) => !have(c));

// The private bus. Its config lists no service directories: nothing is
// activated on demand.
function startBus() {
  const config = path.join(tmp, 'bus.conf');
  fs.writeFileSync(config, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${path.join(tmp, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`);
  const bus = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--nopidfile'], { stdio: 'ignore' });
  process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${path.join(tmp, 'bus')}`;
  for (let i = 0; i < 200 && !fs.existsSync(path.join(tmp, 'bus')); i++) spawnSync('sleep', ['0.02']);
  return bus;
}

function ownerPid() {
  const r = spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/',
    'org.freedesktop.DBus.GetConnectionUnixProcessID', 'string:org.freedesktop.secrets'], { encoding: 'utf8' });
  const m = /uint32 (\d+)/.exec(r.stdout || '');
  return m ? Number(m[1]) : null;
}

// Whether the login keyring is there and unlocked (the daemon sets the
// default alias once it has created or unlocked it).
function defaultCollection() {
  const r = spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets',
    '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.ReadAlias', 'string:default'], { encoding: 'utf8' });
  return /object path "\/org\/freedesktop\/secrets\/collection\//.test(r.stdout || '');
}

// A keyring daemon in the foreground (so this test holds its pid), on the
// private bus, with the login keyring under this test's XDG_DATA_HOME,
// created (first start) or unlocked (later starts) with PASSWORD.
function startDaemon() {
  // The password from a file: this function waits synchronously, so a
  // pipe written from JS would not be flushed until it returned.
  const pw = path.join(tmp, 'password');
  fs.writeFileSync(pw, PASSWORD, { mode: 0o600 });
  const fd = fs.openSync(pw, 'r');
  const d = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'],
    { stdio: [fd, 'ignore', 'ignore'] });
  fs.closeSync(fd);
  for (let i = 0; i < 250; i++) {  // bounded: 5 s
    if (ownerPid() === d.pid && defaultCollection()) return d;
    spawnSync('sleep', ['0.02']);
  }
  throw new Error('gnome-keyring-daemon did not take org.freedesktop.secrets');
}

function lookup(account) {
  const r = spawnSync('secret-tool', ['lookup', 'service', SERVICE, 'account', account], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let bus = null;
let daemon = null;
process.on('exit', () => {
  if (daemon) { try { process.kill(daemon.pid, 'SIGKILL'); } catch {} }
  if (bus) { try { bus.kill('SIGKILL'); } catch {} }
});
if (missing.length === 0) {
  process.env.XDG_DATA_HOME = path.join(tmp, 'data');
  process.env.XDG_RUNTIME_DIR = path.join(tmp, 'run');
  fs.mkdirSync(process.env.XDG_DATA_HOME);
  fs.mkdirSync(process.env.XDG_RUNTIME_DIR, { mode: 0o700 });
  bus = startBus();
  daemon = startDaemon();
}
// Loaded after the environment points at the private bus.
const { Sidecar } = require('../..');

test.after(() => {
  if (daemon) { try { process.kill(daemon.pid, 'SIGCONT'); daemon.kill('SIGKILL'); } catch {} }
  if (bus) bus.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

const opts = { timeout: 60000, skip: missing.length ? `needs ${missing.join(', ')}` : false };

test('keyring daemon killed mid-lookup, then restarted: the same Sidecar reads again', opts, async (t) => {
  const account = `kill-${crypto.randomBytes(4).toString('hex')}`;
  const value = `kv${crypto.randomBytes(16).toString('hex')}`;  // made up
  const s = new Sidecar({ policy: { resolveTimeoutMs: 3000 } });
  t.after(() => s.close());
  const ref = `keyring:${SERVICE}/${account}`;
  // Written by keyref, so the later store replaces this very item (one
  // entry, which secret-tool then reads).
  await s.storeSecret(ref, value);
  assert.deepEqual(await s.check(ref), { ok: true, scheme: 'keyring' });
  // status() probes through libsecret: its shared service now holds a
  // session on this daemon.
  const keyringStatus = async () => (await s.status()).find((x) => x.scheme === 'keyring');
  assert.equal((await keyringStatus()).available, true);
  const results = [];

  // Freeze the daemon so the lookup is certainly in flight, then kill it.
  process.kill(daemon.pid, 'SIGSTOP');
  const pending = s.check(ref);
  await sleep(300);
  daemon.kill('SIGKILL');
  const killed = await pending;
  results.push(killed);
  assert.equal(killed.ok, false);
  assert.match(killed.code, /^SOURCE_(UNAVAILABLE|TIMEOUT)$/, JSON.stringify(killed));

  // No daemon at all (nothing activates one on this bus): unavailable.
  const none = await s.check(ref);
  results.push(none);
  assert.equal(none.ok, false);
  assert.equal(none.code, 'SOURCE_UNAVAILABLE', JSON.stringify(none));

  // Restarted: the very next lookup of the same Sidecar resolves (the entry
  // was on disk), and so does a store and a second Sidecar.
  daemon = startDaemon();
  const again = await s.check(ref);
  results.push(again);
  assert.deepEqual(again, { ok: true, scheme: 'keyring' });
  assert.equal(lookup(account), value);
  const value2 = `kv${crypto.randomBytes(16).toString('hex')}`;
  await s.storeSecret(ref, value2);
  assert.equal(lookup(account), value2);
  // The probe follows too: libsecret's service of the dead daemon is
  // dropped after its first failure, so the next probe at the latest
  // reaches the new daemon.
  let st = await keyringStatus();
  if (!st.available) st = await keyringStatus();
  assert.equal(st.available, true, JSON.stringify(st));
  const s2 = new Sidecar({ policy: { resolveTimeoutMs: 3000 } });
  t.after(() => s2.close());
  results.push(await s2.check(ref));
  assert.deepEqual(results.at(-1), { ok: true, scheme: 'keyring' });
  assertNoCanary(assert, [value, value2], { values: results });
});

test('keyring daemon restarted between two stores: the second store lands', opts, async (t) => {
  const account = `restore-${crypto.randomBytes(4).toString('hex')}`;
  const ref = `keyring:${SERVICE}/${account}`;
  const s = new Sidecar({ policy: { resolveTimeoutMs: 3000 } });
  t.after(() => s.close());
  await s.storeSecret(ref, 'first-value-0123456789');
  daemon.kill('SIGKILL');
  await sleep(100);
  daemon = startDaemon();
  // libsecret's shared service still holds the dead daemon's session; the
  // first call after the restart may fail, but with a code, and the next
  // one must work.
  let stored = false;
  const errors = [];
  for (let i = 0; i < 2 && !stored; i++) {
    try {
      await s.storeSecret(ref, 'second-value-0123456789');
      stored = true;
    } catch (e) {
      errors.push(e);
      assert.match(e.code, /^SOURCE_(UNAVAILABLE|TIMEOUT)$/);
    }
  }
  assert.ok(stored, `no store landed after the restart: ${errors.map((e) => e.code).join(', ')}`);
  assert.equal(lookup(account), 'second-value-0123456789');
  assert.deepEqual(await s.check(ref), { ok: true, scheme: 'keyring' });
});

// The case's own timeout (20 s) is below the 25 s D-Bus default that bounded
// a store on a frozen daemon before the store was bounded by
// resolveTimeoutMs: a store that waits for that default fails here. The
// time actually waited is printed, not asserted.
test('keyring daemon frozen (SIGSTOP) during a store: SOURCE_TIMEOUT, and the old key keeps its value and its binding', { ...opts, timeout: 20000 }, async (t) => {
  const account = `stop-${crypto.randomBytes(4).toString('hex')}`;
  const oldValue = `old${crypto.randomBytes(16).toString('hex')}`;
  const newValue = `new${crypto.randomBytes(16).toString('hex')}`;
  const timeoutMs = 1500;
  const s = new Sidecar({ policy: { resolveTimeoutMs: timeoutMs } });
  t.after(() => s.close());
  const ref = `keyring:${SERVICE}/${account}`;
  // Through a second Sidecar: the frozen one's libsecret is not warmed up.
  const writer = new Sidecar();
  await writer.storeSecret(ref, oldValue, { origins: [ORIGIN] });
  writer.close();
  assert.equal((await s.check(ref)).ok, true);
  const pid = daemon.pid;
  process.kill(pid, 'SIGSTOP');
  let resumed = false;
  t.after(() => { if (!resumed) process.kill(pid, 'SIGCONT'); });
  const errors = [];
  const started = process.hrtime.bigint();
  await assert.rejects(s.storeSecret(ref, newValue), (e) => {
    errors.push(e);
    assert.equal(e.code, 'SOURCE_TIMEOUT', `${e.code}: ${e.message}`);
    return true;
  });
  // Printed, not asserted (figures belong in docs/reliability.md).
  const waited = Number(process.hrtime.bigint() - started) / 1e6;
  t.diagnostic(`store against a frozen daemon failed after ${waited.toFixed(0)} ms (resolveTimeoutMs ${timeoutMs})`);
  // A lookup while frozen times out too.
  const frozen = await s.check(ref);
  assert.equal(frozen.code, 'SOURCE_TIMEOUT', JSON.stringify(frozen));
  process.kill(pid, 'SIGCONT');
  resumed = true;
  // The store's first read (of the installation key, which the new
  // record's fingerprint needs) got no answer, so it wrote nothing: once
  // the daemon runs again, the entry holds the old value and the old key
  // is still bound to its origin (a store that wrote the new record
  // anyway would leave the old key bound to nothing). There is still
  // exactly one entry.
  const now = lookup(account);
  assert.ok(now === oldValue, `the entry holds ${now === newValue ? 'the new value' : 'neither value'}`);
  // And this Sidecar fingerprints keys as every other process does: the
  // timeouts did not leave it on a key of its own (which would make every
  // recorded binding look like another key's, for the process's lifetime).
  const seen = await s.describe(ref);
  assert.deepEqual(seen.origins, [ORIGIN], JSON.stringify(seen));
  const other = new Sidecar();
  t.after(() => other.close());
  assert.equal(seen.fingerprint, (await other.describe(ref)).fingerprint);
  const all = spawnSync('secret-tool', ['search', '--all', 'service', SERVICE, 'account', account], { encoding: 'utf8' });
  assert.equal((all.stdout.match(/^\[/gm) || []).length, 1, all.stdout);
  // The same Sidecar works again: a store and a check.
  await s.storeSecret(ref, newValue);
  assert.equal(lookup(account), newValue);
  assert.deepEqual(await s.check(ref), { ok: true, scheme: 'keyring' });
  assertNoCanary(assert, [oldValue, newValue], { values: errors.concat([frozen, seen]) });
});
