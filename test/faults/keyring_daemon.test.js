'use strict';
// Fault injection on the keyring daemon (docs/reliability.md), on the
// throwaway gnome-keyring of scripts/with-keyring.sh — the daemon this test
// signals is the one that owns org.freedesktop.secrets on this test's own
// D-Bus session, never another. Cases: the daemon killed in the middle of
// a lookup, restarted (the same on-disk keyring), and frozen (SIGSTOP)
// during a store. Each call ends with a stable code within the resolve
// timeout, the entries survive, and no value reaches a message.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const { Sidecar } = require('../..');
const { assertNoCanary } = require('../node/helpers/canary');

const SERVICE = 'keyref-faults';

function daemonPid() {
  const out = execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/',
    'org.freedesktop.DBus.GetConnectionUnixProcessID', 'string:org.freedesktop.secrets'], { encoding: 'utf8' });
  return Number(/uint32 (\d+)/.exec(out)[1]);
}
function startDaemon() {
  // Same session, same XDG_DATA_HOME: the login keyring on disk, unlocked
  // with the password scripts/with-keyring.sh gave it.
  const r = spawnSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], { input: 'keyref-test', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (let i = 0; i < 100; i++) {
    try { return daemonPid(); } catch { spawnSync('sleep', ['0.05']); }
  }
  throw new Error('the restarted daemon did not take the bus name');
}
function lookup(account) {
  const r = spawnSync('secret-tool', ['lookup', 'service', SERVICE, 'account', account], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// TODO (docs/reliability.md, known gaps): after the daemon is restarted the
// same Sidecar keeps answering SOURCE_UNAVAILABLE (libsecret's shared
// SecretService keeps the dead connection); the test stays, marked todo,
// until the keyring source reconnects.
test('keyring daemon killed mid-lookup, then restarted: SOURCE_UNAVAILABLE, then ok again', { timeout: 60000, todo: 'no reconnect after a daemon restart' }, async (t) => {
  const account = `kill-${crypto.randomBytes(4).toString('hex')}`;
  const value = `kv${crypto.randomBytes(16).toString('hex')}`;  // made up
  execFileSync('secret-tool', ['store', '--label', 'keyref faults', 'service', SERVICE, 'account', account], { input: value });
  const s = new Sidecar({ policy: { resolveTimeoutMs: 3000 } });
  t.after(() => s.close());
  const ref = `keyring:${SERVICE}/${account}`;
  assert.deepEqual(await s.check(ref), { ok: true, scheme: 'keyring' });
  const results = [];

  // Freeze the daemon so the lookup is certainly in flight, then kill it.
  let pid = daemonPid();
  process.kill(pid, 'SIGSTOP');
  const pending = s.check(ref);
  await sleep(300);
  process.kill(pid, 'SIGKILL');
  const killed = await pending;
  results.push(killed);
  assert.equal(killed.ok, false);
  assert.match(killed.code, /^SOURCE_(UNAVAILABLE|TIMEOUT)$/, JSON.stringify(killed));

  // No daemon at all: a clear code, quickly (D-Bus may try to activate one).
  const none = await s.check(ref);
  results.push(none);
  if (!none.ok) assert.match(none.code, /^SOURCE_(UNAVAILABLE|TIMEOUT)$/);

  // Restarted: the same Sidecar resolves again (the entry was on disk).
  pid = startDaemon();
  t.after(() => { try { process.kill(daemonPid(), 0); } catch { startDaemon(); } });
  let again;
  for (let i = 0; i < 3; i++) {  // the first call may still see the old connection
    again = await s.check(ref);
    results.push(again);
    if (again.ok) break;
  }
  assert.deepEqual(again, { ok: true, scheme: 'keyring' });
  assert.equal(lookup(account), value);
  assertNoCanary(assert, [value], { values: results });
});

// TODO (docs/reliability.md, known gaps): runs after the restart case above
// and inherits its dead connection; marked todo with it.
test('keyring daemon frozen (SIGSTOP) during a store: SOURCE_TIMEOUT, then consistent after SIGCONT', { timeout: 60000, todo: 'depends on the reconnect above' }, async (t) => {
  const account = `stop-${crypto.randomBytes(4).toString('hex')}`;
  const oldValue = `old${crypto.randomBytes(16).toString('hex')}`;
  const newValue = `new${crypto.randomBytes(16).toString('hex')}`;
  execFileSync('secret-tool', ['store', '--label', 'keyref faults', 'service', SERVICE, 'account', account], { input: oldValue });
  const s = new Sidecar({ policy: { resolveTimeoutMs: 1500 } });
  t.after(() => s.close());
  const ref = `keyring:${SERVICE}/${account}`;
  assert.equal((await s.check(ref)).ok, true);
  const pid = daemonPid();
  process.kill(pid, 'SIGSTOP');
  let resumed = false;
  t.after(() => { if (!resumed) process.kill(pid, 'SIGCONT'); });
  const errors = [];
  const started = Date.now();
  await assert.rejects(s.storeSecret(ref, newValue), (e) => {
    errors.push(e);
    assert.equal(e.code, 'SOURCE_TIMEOUT');
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 15000, `the store waited ${elapsed} ms with a 1500 ms resolve timeout`);
  process.kill(pid, 'SIGCONT');
  resumed = true;
  // The frozen store may still complete once the daemon runs again: the
  // entry then holds the old value or the new one, never anything else.
  await sleep(500);
  const now = lookup(account);
  assert.ok(now === oldValue || now === newValue, 'the entry is neither the old nor the new value');
  // And the Sidecar works again: a store and a check.
  await s.storeSecret(ref, newValue);
  assert.equal(lookup(account), newValue);
  assert.deepEqual(await s.check(ref), { ok: true, scheme: 'keyring' });
  assertNoCanary(assert, [oldValue, newValue], { values: errors });
  execFileSync('secret-tool', ['clear', 'service', SERVICE, 'account', account]);
});
