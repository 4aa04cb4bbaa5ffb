'use strict';
// No worker thread of keyref reads the process environment (docs/requests.md,
// "The environment"): JavaScript's process.env.X = … calls setenv() on the
// JS thread, and glibc before 2.40 may free the array getenv() is walking.
// A review found request() resolving env: keys with getenv() on the HTTP
// worker, the trust store reading SSL_CERT_FILE, SSL_CERT_DIR and
// NODE_EXTRA_CA_CERTS per connection, and op/pass found on PATH and started
// with environ there. A crash from the race is too rare to provoke in a
// test, so this one watches the calls themselves: an LD_PRELOAD library
// (helpers/env_guard.c, compiled here with the system's C compiler) notes
// every getenv(), secure_getenv(), posix_spawnp() and posix_spawn() with
// environ that the addon's own code makes off the main thread, while a
// child process sends requests with an env: key over TLS, describes it and
// checks a pass: ref, and its JS thread keeps adding variables.
//
// What it cannot see: calls made by libraries on keyref's behalf (libdbus
// for keyring:, OpenSSL's own initialisation), whose caller is the library.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { makeKey, startServer, makeCerts } = require('./helpers/request_helpers');

test('no keyref worker thread calls getenv() or spawns with environ', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-envguard-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const guard = path.join(dir, 'env_guard.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', guard, path.join(__dirname, 'helpers', 'env_guard.c'), '-ldl']);
  const certs = makeCerts();
  t.after(() => certs.cleanup());
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  }, { tls: certs });
  t.after(() => srv.close());

  const out = path.join(dir, 'calls.txt');
  const key = makeKey('E');
  const env = {
    ...process.env, LD_PRELOAD: guard, KEYREF_ENV_GUARD_OUT: out, KEYREF_ROOT: path.join(__dirname, '..', '..'),
    KEYREF_T_URL: srv.url, KEYREF_T_CA: certs.caFile, KEYREF_T_KEY: key,
  };
  // Async spawn: the server above runs on this process's event loop.
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [path.join(__dirname, 'helpers', 'env_threads_child.js')],
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('close', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.equal(code, 0, `child failed: ${stderr}`);
  assert.match(stdout, /^ok \d+/);
  assert.ok(srv.requests.length >= 8, 'the requests reached the server');
  assert.equal(srv.requests[0].headers.authorization, `Bearer ${key}`);
  const calls = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  assert.equal(calls, '', `calls off the main thread:\n${calls}`);

  // The guard is live: a library named like the addon that calls getenv()
  // on a thread of its own, loaded into Node the way the addon is
  // (process.dlopen; it is no addon, so the load then fails), is noted.
  const probe = path.join(dir, 'keyref_probe.so');
  // -z nodelete: Node unloads a library that registers no addon, and the
  // probe's thread must outlive the load.
  execFileSync('cc', ['-shared', '-fPIC', '-O1', '-Wl,-z,nodelete', '-o', probe,
    path.join(__dirname, 'helpers', 'env_guard_probe.c'), '-lpthread']);
  const probeOut = path.join(dir, 'probe.txt');
  const script = `try { process.dlopen({ exports: {} }, ${JSON.stringify(probe)}); } catch {}
    setTimeout(() => {}, 500);`;
  const r = spawnSync(process.execPath, ['-e', script],
    { env: { ...process.env, LD_PRELOAD: guard, KEYREF_ENV_GUARD_OUT: probeOut }, encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(probeOut, 'utf8'), /^getenv KEYREF_GUARD_PROBE from .*keyref_probe\.so$/m);
});
