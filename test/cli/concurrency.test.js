'use strict';
// keyref processes writing at once: `secret set` with the file backend
// rewrites both the secrets file and the user config (read, change, rename).
// Each must keep the other processes' entries; before both were written
// under a lock shared between processes, some keys went missing from one or
// the other while every process exited 0.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { BIN, newUser, runJson, canary } = require('./helpers');

/** Runs the binary without waiting; resolves to its exit status. */
function start(user, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: user.env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('exit', (status) => resolve(status));
    child.stdin.end(input);
  });
}

test('secret set in 8 processes at once: every key is in the secrets file and the config', async () => {
  const user = newUser();
  assert.equal(runJson(user, 'backendSet', ['backend', 'set', 'file']).status, 0);
  const names = [];
  for (let round = 0; round < 3; round++) {
    const batch = [];
    for (let i = 0; i < 8; i++) batch.push(`r${round}-k${i}`);
    const statuses = await Promise.all(batch.map((name) =>
      start(user, ['secret', 'set', name, '--backend', 'file', '--stdin'], `${canary(name)}\n`)));
    assert.deepEqual(statuses, batch.map(() => 0));
    names.push(...batch);
  }
  const config = JSON.parse(fs.readFileSync(path.join(user.config, 'config.json'), 'utf8'));
  assert.deepEqual(names.filter((n) => !config.secrets[n]), [], 'missing from config.json');
  const check = runJson(user, 'check', ['check', ...names.map((n) => `file:${n}`)]);
  assert.deepEqual(check.body.results.filter((r) => !r.ok).map((r) => r.ref), [], 'missing from secrets.json');
  const lock = fs.lstatSync(path.join(user.config, '.config.json.lock'));
  assert.ok(lock.isFile());
  assert.equal(lock.mode & 0o777, 0o600);
});
