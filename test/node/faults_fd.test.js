'use strict';
// Fault injection: file-descriptor exhaustion (RLIMIT_NOFILE, `ulimit -n`)
// during requests and resolution (env:, keyring:, file:). A child process
// with a low limit uses up every descriptor; each call must then fail with
// a stable code (no crash, no hang), and once descriptors are free again
// the same calls succeed and the fd count is back to where it was (nothing
// leaked). Codes: docs/reliability.md. Run under scripts/with-keyring.sh.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

test('fd exhaustion: requests and resolution fail with codes, then recover without a leak', { timeout: 120000 }, async (t) => {
  const server = http.createServer((req, res) => { req.resume(); res.end('ok'); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const account = `fd-${crypto.randomBytes(4).toString('hex')}`;
  const key = `fdkey${crypto.randomBytes(12).toString('hex')}`;  // made up
  execFileSync('secret-tool', ['store', '--label', 'keyref fd test', 'service', 'keyref-fd', 'account', account], { input: key });
  t.after(() => execFileSync('secret-tool', ['clear', 'service', 'keyref-fd', 'account', account]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-fd-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const plaintext = path.join(dir, 'secrets.json');
  fs.writeFileSync(plaintext, JSON.stringify({ fdtest: key }), { mode: 0o600 });

  const child = spawn('bash', ['-c', 'ulimit -n 128 && exec node "$@"', 'fd', path.join(__dirname, 'helpers/fd_child.js'),
    String(server.address().port), `keyring:keyref-fd/${account}`, plaintext],
  { env: { ...process.env, KEYREF_FD_KEY: key }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const code = await new Promise((r) => child.on('close', r));
  assert.equal(code, 0, `child failed: ${out} ${err}`);
  const r = JSON.parse(out);
  assert.ok(r.held > 0, 'the child did not exhaust its descriptors');
  assert.deepEqual(r.warm, { request: 'status 200', env: 'ok', keyring: 'ok', file: 'ok' });
  // With no descriptor left: a code each, documented in docs/reliability.md.
  // A kept-alive connection from the warm-up needs no new descriptor.
  assert.match(r.exhausted.request, /^(status 200|CONNECT_FAILED)$/);
  assert.equal(r.exhausted.env, 'ok');  // needs no descriptor
  assert.match(r.exhausted.keyring, /^(ok|SOURCE_UNAVAILABLE)$/);
  // open() fails with EMFILE; the file source reports it as SOURCE_DENIED.
  assert.match(r.exhausted.file, /^SOURCE_(UNAVAILABLE|DENIED)$/);
  assert.deepEqual(r.recovered, r.warm);
  assert.ok(r.after <= r.baseline, `fds leaked: ${r.baseline} before, ${r.after} after`);
  assert.equal(out.includes(key) || err.includes(key), false);
});
