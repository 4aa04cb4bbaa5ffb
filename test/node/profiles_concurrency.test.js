'use strict';
// Two processes writing one profile folder at once lose nothing, and a
// writer killed mid-save leaves the old or the new file, never a torn one.
const test = require('node:test');
const assert = require('node:assert/strict');
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ProfileStore, Sidecar } = require('../..');

const CHILD = path.join(__dirname, 'helpers', 'store_child.js');

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-conc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'profiles');
}

// Forks a child and resolves once it reports `ready`.
function start(args) {
  const child = fork(CHILD, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages = [];
  const waiters = [];
  child.on('message', (m) => {
    messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const next = (want, ms) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child: no ${want} within ${ms} ms (got ${messages})`)), ms);
    const check = () => {
      const i = messages.findIndex((m) => m === want || String(m).startsWith('error'));
      if (i < 0) return waiters.push(check);
      clearTimeout(timer);
      const m = messages.splice(i, 1)[0];
      return m === want ? resolve() : reject(new Error(String(m)));
    };
    check();
  });
  return { child, next };
}

const exited = (child) => new Promise((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve();
  else child.once('exit', resolve);
});

test('two processes saving 100 profiles each at once lose nothing', { timeout: 120000 }, async (t) => {
  const dir = tmpDir(t);
  const kids = [start(['save', dir, 'left', '100', '20']), start(['save', dir, 'right', '100', '20'])];
  await Promise.all(kids.map((k) => k.next('ready', 20000)));
  for (const k of kids) k.child.send('go');
  await Promise.all(kids.map((k) => k.next('done', 100000)));
  await Promise.all(kids.map((k) => exited(k.child)));
  const { profiles, invalid } = await new ProfileStore(dir, new Sidecar()).list();
  assert.deepEqual(invalid, []);
  const ids = new Set(profiles.map((p) => p.id));
  for (const side of ['left', 'right']) {
    for (let i = 0; i < 100; i++) assert.ok(ids.has(`${side}-${i}`), `${side}-${i} lost`);
  }
  for (let i = 0; i < 20; i++) assert.ok(ids.has(`shared-${i}`));
  assert.equal(profiles.length, 220);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('the folder lock excludes other processes (read-modify-write by two processes)', { timeout: 120000 }, async (t) => {
  const dir = tmpDir(t);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'counter'), '0');
  const kids = [start(['count', dir, '100']), start(['count', dir, '100'])];
  await Promise.all(kids.map((k) => k.next('ready', 20000)));
  for (const k of kids) k.child.send('go');
  await Promise.all(kids.map((k) => k.next('done', 100000)));
  assert.equal(fs.readFileSync(path.join(dir, 'counter'), 'utf8'), '200');
});

test('a writer killed mid-save leaves the old or the new file, never a torn one', { timeout: 120000 }, async (t) => {
  const dir = tmpDir(t);
  const store = new ProfileStore(dir, new Sidecar());
  const seen = { a: 0, b: 0 };
  for (let round = 0; round < 15; round++) {
    const k = start(['churn', dir]);
    await k.next('ready', 20000);
    k.child.send('go');
    await k.next('saved', 20000);
    await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 40)));
    k.child.kill('SIGKILL');
    await exited(k.child);
    const text = fs.readFileSync(path.join(dir, 'victim.json'), 'utf8');
    const p = JSON.parse(text);  // a torn file would not parse
    const tag = p.label.slice(-1);
    assert.ok(tag === 'a' || tag === 'b');
    assert.ok(Object.values(p.headers).every((v) => v === tag.repeat(1000)), 'mixed content');
    seen[tag] += 1;
    const { profiles, invalid } = await store.list();
    assert.deepEqual(invalid, []);
    assert.equal(profiles.length, 1);
  }
  // The next locked write removes temporary files a killed writer left.
  await store.save({ id: 'after', label: 'after', provider: 'openai', model: 'm' });
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  t.diagnostic(`victim.json after a kill: version a ${seen.a} times, version b ${seen.b} times`);
});
