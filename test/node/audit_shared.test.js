'use strict';
// One audit file written by two Sidecars, and by two processes (docs/origins.md,
// "The audit trail": two VS Code windows with the same setting do this).
// Whoever rotates, no line is lost but to rotation itself: the files hold
// the newest lines of each writer with no gap, in order, every line whole,
// and audit() reads them. Before, each writer kept its own descriptor and
// byte count and went on appending to a file the other had renamed, then
// unlinked: a writer's later lines were in no file and not in audit().
const test = require('node:test');
const assert = require('node:assert/strict');
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Sidecar } = require('../..');

const CHILD = path.join(__dirname, 'helpers', 'audit_child.js');

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-audit-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// The paths of every line of the file and its rotated predecessors, oldest
// first; each line must parse (lines never interleave) and each file stay
// within maxBytes.
function pathsInFiles(file, maxFiles, maxBytes) {
  const out = [];
  for (let i = maxFiles; i >= 0; i--) {
    const f = i === 0 ? file : `${file}.${i}`;
    if (!fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    assert.ok(text.length <= maxBytes, `${path.basename(f)} holds ${text.length} bytes`);
    for (const line of text.split('\n').filter(Boolean)) out.push(JSON.parse(line).path);
  }
  return out;
}

// A request refused before anything is resolved or connected (the key is
// bound nowhere): one audit line, no network.
function refused(sidecar, p) {
  return assert.rejects(sidecar.request({ provider: 'openai-compatible', baseUrl: 'https://unbound.invalid',
    path: p, apiKeyRef: 'env:KEYREF_AUDIT_SHARED' }), { code: 'KEY_ORIGIN_UNBOUND' });
}

test('two Sidecars on one audit file: every line lands in the file at the path, audit() sees them', async (t) => {
  const file = path.join(tmpdir(t), 'audit.jsonl');
  const opts = { auditFile: { path: file, maxBytes: 4096, maxFiles: 1 } };
  const a = new Sidecar(opts);
  const b = new Sidecar(opts);
  t.after(() => { a.close(); b.close(); });
  const written = [];
  const send = async (s, i) => { await refused(s, `/n${i}`); written.push(`/n${i}`); };
  let i = 0;
  await send(b, i++);                                    // B opened the file, wrote one line
  for (let k = 0; k < 60; k++) await send(a, i++);       // A rotates two times or more
  for (let k = 0; k < 5; k++) await send(b, i++);        // before: into an unlinked file
  for (let k = 0; k < 40; k++) await send(k % 2 ? a : b, i++);

  const found = pathsInFiles(file, 1, 4096);
  assert.ok(found.length > 0);
  // Rotation drops the oldest lines only: what is left is the end of what
  // was written, in order, the last line included.
  assert.deepEqual(found, written.slice(written.length - found.length));
  assert.deepEqual((await a.audit(found.length)).map((r) => r.path), found);
  assert.deepEqual((await b.audit(found.length)).map((r) => r.path), found);
});

// Two processes: first one idles while the other rotates twice (the lost
// lines above), then both write at the same time. Their lines interleave in
// some order, so the check is per writer: the lines of each that are left
// are the end of its own sequence, its last line included.
test('two processes on one audit file: no line lost but to rotation, none torn', async (t) => {
  const file = path.join(tmpdir(t), 'audit.jsonl');
  const [maxBytes, maxFiles] = [4096, 2];
  const [p, q] = ['p', 'q'].map((tag) => {
    const child = fork(CHILD, [file, tag, String(maxBytes), String(maxFiles)],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const messages = [];
    const waiters = [];
    child.on('message', (m) => { messages.push(m); for (const w of waiters.splice(0)) w(); });
    const next = (want, ms) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child ${tag}: no ${want} within ${ms} ms (got ${messages})`)), ms);
      const check = () => {
        const i = messages.findIndex((m) => m === want || String(m).startsWith('error'));
        if (i < 0) return waiters.push(check);
        clearTimeout(timer);
        const m = messages.splice(i, 1)[0];
        return m === want ? resolve() : reject(new Error(`child ${tag}: ${m}`));
      };
      check();
    });
    t.after(() => { if (child.exitCode === null) child.kill(); });
    const sent = { n: 0 };
    const send = (n) => { child.send({ send: n }); sent.n += n; return next('sent', 60000); };
    return { tag, child, next, send, sent };
  });
  // The lines of each writer left in the files are the end of its own
  // sequence, in order, its last line included; no line is there twice.
  const check = (stage) => {
    const found = pathsInFiles(file, maxFiles, maxBytes);
    assert.equal(new Set(found).size, found.length, `${stage}: no line twice`);
    for (const { tag, sent } of [p, q]) {
      const mine = found.filter((x) => x.startsWith(`/${tag}-`));
      assert.ok(mine.length > 0, `${stage}: lines of ${tag}`);
      const first = Number(mine[0].slice(tag.length + 2));
      const want = Array.from({ length: sent.n - first }, (_, k) => `/${tag}-${first + k}`);
      assert.deepEqual(mine, want, `${stage}: the lines of ${tag} left are its last ${want.length}, in order`);
    }
    return found;
  };
  await Promise.all([p.next('ready', 30000), q.next('ready', 30000)]);
  await p.send(1);
  await q.send(80);                       // q rotates two times or more
  await p.send(5);                        // before: into an unlinked file
  check('one after the other');
  await Promise.all([p.send(100), q.send(100)]);
  for (const c of [p, q]) c.child.send('close');
  const found = check('at the same time');
  // A third reader sees the same tail.
  const reader = new Sidecar({ auditFile: { path: file, maxBytes, maxFiles } });
  t.after(() => reader.close());
  assert.deepEqual((await reader.audit(found.length)).map((r) => r.path), found);
});
