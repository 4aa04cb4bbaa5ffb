'use strict';
// The canary test: unique secrets, put only in a child process's
// environment, are resolved by keyref there (env:CANARY_VAR, and
// keyring:… for CANARY_KEYRING, which a shell in the child stores in the
// child's private gnome-keyring) while logging is at trace with logBodies,
// stderr and a file. Every path of redaction_paths.js runs (check, status,
// requests that succeed, get a 401 echoing the key in body, headers and SSE
// events, time out, are aborted, a malformed value, a missing secret, a
// locked keyring…), each against a real server on 127.0.0.1 in the child
// and each proving it really carried the canary. Nothing that comes back
// (return values, responses, events, error code/message/hint/stack and
// util.inspect, host log lines, stderr, the log file) may contain a canary,
// its base64/base64url/percent/JSON forms, or any run of it that counts
// (docs/threat-model.md, "No oracle": 12+ characters of its middle).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { paths } = require('./helpers/redaction_paths');
const { countableRuns } = require('./helpers/countable_runs');

// Lowercase hex, 28 characters: no credential shape, so only the redactor's
// value rule (fingerprints) can catch it.
const fresh = (tag) => `${tag}${crypto.randomBytes(12).toString('hex')}`;

function forms(value) {
  const out = new Map([
    ['raw', value],
    ['base64', Buffer.from(value).toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.from(value).toString('base64url')],
    ['percent', encodeURIComponent(value)],
    ['json', JSON.stringify(value).slice(1, -1)],
  ]);
  for (const [i, run] of countableRuns(value)) out.set(`run@${i}`, run);
  return out;
}

/** Names the forms of any canary found in `text` (never the value itself). */
function leaks(text, canaries) {
  const found = [];
  for (const [which, value] of Object.entries(canaries)) {
    for (const [form, s] of forms(value)) if (text.includes(s)) found.push(`${which}:${form}`);
  }
  return found;
}

test('no path leaks the canary', async (t) => {
  const canaries = {
    resolved: fresh('cnry'), malformed: fresh('cnrm'), literal: fresh('cnrl'), keyring: fresh('cnrk'),
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-canary-'));
  const logFile = path.join(dir, 'keyref.log');
  const auditFile = path.join(dir, 'audit.jsonl');
  // The child gets a private D-Bus session and gnome-keyring of its own
  // (with-keyring.sh starts one unless told it is already inside one), so
  // its locked-keyring path can lock the collection without disturbing
  // anything else.
  const env = { ...process.env };
  delete env.KEYREF_IN_KEYRING_SESSION;
  const withKeyring = path.join(__dirname, '..', '..', 'scripts', 'with-keyring.sh');
  const child = spawnSync(withKeyring, [process.execPath, path.join(__dirname, 'helpers', 'redaction_child.js')], {
    env: {
      ...env,
      KEYREF_CANARY_CHILD: '1',
      KEYREF_CANARY_LOGFILE: logFile,
      KEYREF_CANARY_AUDITFILE: auditFile,
      CANARY_VAR: canaries.resolved,
      CANARY_MALFORMED: `${canaries.malformed}\nnext`,
      CANARY_LITERAL: canaries.literal,
      CANARY_KEYRING: canaries.keyring,
    },
    encoding: 'utf8',
    timeout: 120000,
    maxBuffer: 64 << 20,
  });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // On failure, show the child's stderr only if it holds no canary.
  const why = leaks(child.stderr, canaries).length ? '(stderr withheld: it leaks)' : child.stderr.slice(-2000);
  assert.equal(child.status, 0, `child exited ${child.status} ${child.signal ?? ''}: ${why}`);
  const results = JSON.parse(child.stdout);
  assert.deepEqual(results.map((r) => r.name), paths.map((p) => p.name));

  for (const [i, r] of results.entries()) {
    await t.test(r.name, () => {
      for (const s of [...r.emitted, ...r.lines]) {
        assert.deepEqual(leaks(s, canaries), [], `path "${r.name}" leaked`);
      }
      assert.equal(paths[i].expect(r.emitted, r.lines), null);
    });
  }

  await t.test('stderr', () => {
    assert.match(child.stderr, /\[keyref\] \[trace\] request POST/);
    assert.match(child.stderr, /\[keyref\] \[trace\] response-header x-echo: \[REDACTED\]/);
    assert.match(child.stderr, /scheme=keyring error=SOURCE_LOCKED/);
    assert.deepEqual(leaks(child.stderr, canaries), []);
  });

  await t.test('log file', () => {
    const text = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    assert.match(text, /\[REDACTED\]/);
    assert.deepEqual(leaks(text, canaries), []);
  });

  await t.test('audit file: 0600, one JSON line per send, fingerprints, no canary', () => {
    assert.equal(fs.statSync(auditFile).mode & 0o777, 0o600);
    // Rotated by size (maxBytes 4096 in the child): the current file and
    // its predecessors together (not audit.jsonl.lock, the writers' lock,
    // which holds nothing and would make "rotated" true by itself).
    const files = fs.readdirSync(dir).filter((f) => /^audit\.jsonl(\.\d+)?$/.test(f));
    assert.ok(files.length > 1, `the audit file rotated (${files.join(', ')})`);
    const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    const records = text.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(records.some((r) => r.ref === 'env:CANARY_VAR' && /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/.test(r.fingerprint)));
    for (const r of records) assert.ok(!r.path.includes('?'), 'no query string in the audit trail');
    assert.deepEqual(leaks(text, canaries), []);
  });
});

test('the leak detector finds every form (so the test above can fail)', () => {
  const c = fresh('self');
  for (const [form, s] of forms(c)) {
    assert.deepEqual(leaks(`x${s}y`, { c }).includes(`c:${form}`), true, form);
  }
});
