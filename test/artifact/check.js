'use strict';
// Runs inside a bare root (scripts/test-artifact.sh) against the packed
// keyref installed with --ignore-scripts: no compiler, no libsecret, no
// OpenSSL, spdlog or httplib, only node and its own libraries. Checks what
// the issue of a portable binary promises:
//   - the prebuild loads; parseRef and check('env:...') work;
//   - a keyring: ref gets SOURCE_UNAVAILABLE whose hint names libsecret;
//   - an HTTPS request to a loopback server (TLS 1.3 only) whose CA sits
//     wherever this root put it (KEYREF_CHECK_CA_AT says where) succeeds,
//     with a hostile openssl.cnf at OpenSSL's usual places that would cap
//     TLS at 1.2 if it were read;
//   - with KEYREF_CHECK_EXPECT=no-ca: TLS_FAILED with a hint naming the
//     ca-certificates package;
//   - when the package has the command-line tool (bin/keyref.js): its
//     prebuilt executable runs `keyref --help` and `keyref backend show
//     --json`, directly and through the npm shim, and reports the keyring
//     unavailable for want of libsecret.
// Prints "N passed, N failed".
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');

const app = process.env.KEYREF_CHECK_APP || '/app/node_modules/keyref';
const expect = process.env.KEYREF_CHECK_EXPECT || 'ok';
const results = [];

async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok - ${name}`);
  } catch (err) {
    results.push([name, false]);
    console.log(`not ok - ${name}\n  ${String(err && err.stack || err).split('\n').join('\n  ')}`);
  }
}

async function main() {
  let keyref;
  await check('the packed addon loads (prebuild, no build/)', () => {
    keyref = require(app);
    assert.ok(!fs.existsSync(`${app}/build`), 'no source build in the installed package');
  });
  if (!keyref) return;
  await check('parseRef', () => {
    const r = keyref.parseRef('env:OPENAI_API_KEY');
    assert.equal(r.ok, true);
    assert.equal(r.scheme, 'env');
    const bad = keyref.parseRef('sk-live-not-a-ref');
    assert.equal(bad.ok, false);
  });
  // apiKeyRef here: an env: ref to a variable holding a made-up key, set
  // before the Sidecar is made (it reads the environment as it was then;
  // docs/requests.md, "The environment").
  process.env.KEYREF_ARTIFACT_KEY = 'sk-artifact-made-up-0123456789abcdef';
  const sidecar = new keyref.Sidecar();
  await check("check('env:...')", async () => {
    const r = await sidecar.check('env:KEYREF_ARTIFACT_KEY');
    assert.equal(r.ok, true, JSON.stringify(r));
    const missing = await sidecar.check('env:KEYREF_ARTIFACT_UNSET');
    assert.equal(missing.ok, false);
  });
  await check('keyring: without libsecret is SOURCE_UNAVAILABLE naming the package', async () => {
    const r = await sidecar.check('keyring:keyref-artifact/alice');
    assert.equal(r.ok, false);
    assert.equal(r.code, 'SOURCE_UNAVAILABLE', JSON.stringify(r));
    assert.match(r.hint, /libsecret-1-0/);
    assert.match(r.hint, /libsecret\b/);
  });
  await check(`HTTPS to a loopback server (${expect === 'no-ca' ? 'no CA bundle' :
    `CA only at ${process.env.KEYREF_CHECK_CA_AT}`})`, async () => {
    const server = https.createServer({
      key: fs.readFileSync('/certs/server.key'),
      cert: fs.readFileSync('/certs/server.pem'),
      minVersion: 'TLSv1.3',
    }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ auth: req.headers.authorization === `Bearer ${process.env.KEYREF_ARTIFACT_KEY}` }));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `https://127.0.0.1:${server.address().port}`;
    const baseUrl = `${origin}/v1`;
    // Keys go only to origins they are bound to (docs/origins.md), where
    // this keyref has that rule: bind the loopback server's.
    const bound = keyref.originOf
      ? new keyref.Sidecar({ policy: { origins: { 'env:KEYREF_ARTIFACT_KEY': [origin] } } })
      : sidecar;
    try {
      const req = bound.request({ provider: 'openai', baseUrl, apiKeyRef: 'env:KEYREF_ARTIFACT_KEY',
        timeoutMs: 60000 });
      if (expect === 'no-ca') {
        await assert.rejects(req, (err) => {
          assert.equal(err.code, 'TLS_FAILED');
          assert.match(err.hint, /ca-certificates/);
          return true;
        });
      } else {
        const res = await req;
        assert.equal(res.status, 200);
      }
    } finally {
      server.close();
      if (bound !== sidecar) bound.close();
    }
  });
  sidecar.close();
  if (fs.existsSync(`${app}/bin/keyref.js`)) await checkCli();
}

// The keyref command (cli/) as the package ships it: prebuilds/<platform>-
// <arch>/keyref, found by bin/keyref.js. No D-Bus and no libsecret here.
async function checkCli() {
  const exe = `${app}/prebuilds/${process.platform}-${process.arch}/keyref`;
  const env = { PATH: '/usr/bin', HOME: '/tmp', XDG_CONFIG_HOME: '/tmp/keyref-cli-config' };
  // Under qemu-user without binfmt_misc (scripts/test-artifact.sh arm64) a
  // foreign executable runs only through the emulator, so the command is run
  // through it directly and the shim (whose spawn the kernel cannot start)
  // is left to the native roots.
  const prefix = process.env.KEYREF_CHECK_EXEC_PREFIX ? [process.env.KEYREF_CHECK_EXEC_PREFIX] : [];
  const shim = (...args) => (prefix.length ? [...prefix, exe, ...args] : [process.execPath, `${app}/bin/keyref.js`, ...args]);
  const run = (argv) => spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', timeout: 60000 });
  await check('keyref --help (the prebuilt executable, and through bin/keyref.js)', () => {
    assert.ok(fs.existsSync(exe), `${exe} is not in the package`);
    for (const argv of [[...prefix, exe, '--help'], shim('--help')]) {
      const r = run(argv);
      assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}${r.error || ''}`);
      assert.match(r.stdout, /backend show/);
    }
  });
  await check('keyref backend show --json: keyring unavailable naming libsecret', () => {
    const r = run(shim('backend', 'show', '--json'));
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, true, r.stdout);
    const byName = Object.fromEntries(doc.backends.map((b) => [b.backend, b]));
    assert.equal(byName.keyring.state, 'unavailable', r.stdout);
    assert.match(`${byName.keyring.reason} ${byName.keyring.hint}`, /libsecret/, r.stdout);
    assert.equal(byName.env.state, 'reachable', r.stdout);
  });
}

main().then(() => {
  const failed = results.filter((r) => !r[1]).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}, (err) => { console.log(err); process.exit(1); });
