'use strict';
// Core dumps (docs/reliability.md, docs/threat-model.md): a process holding
// resolved keys is dumped with gdb's gcore, and the dump is searched for
// them. The child holds: a keyring: key resolved with the cache on, and two
// keyring: keys in the middle of requests, one over http and one over https
// (each server has the request head and has not answered). The keys must not
// be in the dump: SecretValue pages are MADV_DONTDUMP, and the request head
// is written with the key spliced in from such pages, so httplib never holds
// the key (KeyOnWire, native/src/http/trailer_filter.h).
//
// Positive controls, so that "not found" means something: a control string
// copied into a Buffer (ordinary memory), and a control sent as a caller
// header in each held request, which travels through httplib exactly as the
// key header did before the splice (Request::headers, the copy
// handle_request keeps, the serialised head). Both must be found.
// The keys are written to the keyring by secret-tool from this parent, so
// the child's JavaScript never holds them.
//
// Not covered here, by design: secret: refs, whose value the host's
// SecretStorage.get() returns as a JS string (it lives in the extension
// host's V8 heap before keyref sees it, and V8 strings cannot be wiped), and
// env: refs (the process environment is ordinary memory). Run under
// scripts/with-keyring.sh; skipped where gcore is missing or ptrace is denied.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { makeCerts } = require('./helpers/request_helpers');

const root = path.resolve(__dirname, '..', '..');
const CHILD = String.raw`
'use strict';
const { Sidecar } = require(process.argv[1]);
const [, , cachedRef, plainRef, tlsRef, plainUrl, tlsUrl, caFile, control, headerControl] = process.argv;
(async () => {
  const s = new Sidecar({ policy: { cacheTtlMs: 600000, caFile,
    origins: { [plainRef]: [plainUrl], [tlsRef]: [tlsUrl] } } });
  const r = await s.check(cachedRef);
  if (!r.ok) throw new Error('check failed: ' + r.code);
  const hold = (baseUrl, apiKeyRef, extra) => s.request({ provider: 'openai', baseUrl, path: '/hold',
    apiKeyRef, timeoutMs: 120000, readTimeoutMs: 120000, headers: { 'x-control': headerControl },
    ...extra }).catch(() => {});
  global.pending = [hold(plainUrl, plainRef, {}), hold(tlsUrl, tlsRef, {})];
  global.control = Buffer.from(control);  // the positive control, in ordinary memory
  process.stdout.write('ready\n');
  setInterval(() => {}, 1000);
})().catch((e) => { process.stderr.write(String(e)); process.exit(1); });
`;

function haveGcore() {
  return spawnSync('gcore', ['--version'], { stdio: 'ignore' }).status === 0 ||
    spawnSync('which', ['gcore'], { stdio: 'ignore' }).status === 0;
}

// A server that records each request's Authorization header and x-control
// and never answers while the dump is taken.
async function holdingServer(t, tls) {
  const seen = [];
  const held = [];
  const onRequest = (req, res) => {
    seen.push({ authorization: req.headers.authorization, control: req.headers['x-control'] });
    held.push(res);
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest)
    : http.createServer(onRequest);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { for (const res of held) res.destroy(); server.close(); });
  return { seen, url: `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}` };
}

test('gcore of a process holding resolved keys and requests in flight: keys absent, controls found',
  { timeout: 180000 }, async (t) => {
  if (!haveGcore()) return t.skip('gcore (gdb) is not installed');
  const tag = crypto.randomBytes(4).toString('hex');
  // Made-up values, not key-shaped: only keeping them out of dumpable memory
  // can keep them out of the dump.
  const made = (what) => `${what}${crypto.randomBytes(16).toString('hex')}end`;
  const cachedKey = made('cached');
  const plainKey = made('inflight');
  const tlsKey = made('tlsinflight');
  const control = made('control');
  const headerControl = made('headercontrol');
  for (const [account, value] of [[`cached-${tag}`, cachedKey], [`plain-${tag}`, plainKey], [`tls-${tag}`, tlsKey]]) {
    execFileSync('secret-tool', ['store', '--label', 'keyref core test', 'service', 'keyref-core', 'account', account], { input: value });
    t.after(() => spawnSync('secret-tool', ['clear', 'service', 'keyref-core', 'account', account]));
  }
  const certs = makeCerts();
  t.after(() => certs.cleanup());
  const plain = await holdingServer(t, null);
  const tls = await holdingServer(t, certs);

  const child = spawn(process.execPath, ['-e', CHILD, root, `keyring:keyref-core/cached-${tag}`,
    `keyring:keyref-core/plain-${tag}`, `keyring:keyref-core/tls-${tag}`, plain.url, tls.url, certs.caFile,
    control, headerControl], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { if (String(d).includes('ready')) resolve(); });
    child.on('exit', (c) => reject(new Error(`child exited ${c}: ${err}`)));
  });
  for (let i = 0; i < 400 && (plain.seen.length === 0 || tls.seen.length === 0); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.deepEqual(plain.seen, [{ authorization: `Bearer ${plainKey}`, control: headerControl }],
    'the http request did not reach its server with its key');
  assert.deepEqual(tls.seen, [{ authorization: `Bearer ${tlsKey}`, control: headerControl }],
    'the https request did not reach its server with its key');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-core-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const g = spawnSync('gcore', ['-o', path.join(dir, 'core'), String(child.pid)], { encoding: 'utf8' });
  const core = path.join(dir, `core.${child.pid}`);
  if (!fs.existsSync(core)) return t.skip(`gcore could not dump the child (ptrace denied?): ${g.stderr.slice(0, 200)}`);
  const bytes = fs.readFileSync(core);
  const found = (s) => bytes.includes(Buffer.from(s));
  console.log(`core dump (${bytes.length} bytes): control ${found(control)}, header control ` +
    `${found(headerControl)}, cached key ${found(cachedKey)}, http key ${found(plainKey)}, ` +
    `https key ${found(tlsKey)}`);
  assert.ok(found(control), 'the Buffer control is not in the dump: the search cannot fail');
  assert.ok(found(headerControl),
    'the header control of the held requests is not in the dump: httplib\'s copies of the head are not dumped, so the search proves nothing');
  assert.equal(found(cachedKey), false, 'the cached keyring: key is in the core dump');
  assert.equal(found(plainKey), false, 'the key of an http request in flight is in the core dump');
  assert.equal(found(tlsKey), false, 'the key of an https request in flight is in the core dump');
});
