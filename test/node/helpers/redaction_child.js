'use strict';
// Child process of redaction.test.js: runs every path of redaction_paths.js
// with keyref configured to log everything (trace, logBodies, stderr, a
// file) and prints what came back as JSON. The canary reaches this process
// only through its environment. Loaded by node --test as well, where it does
// nothing.
if (process.env.KEYREF_CANARY_CHILD === '1') main();

function main() {
  const http = require('node:http');
  const util = require('node:util');
  // The test build of the addon: the paths use its redaction probe.
  const { Sidecar } = require('./test_hooks');
  const { paths } = require('./redaction_paths');
  const { countableRuns } = require('./countable_runs');

  // A watchdog: a path that hangs must not hang the test (the parent's
  // timeout would kill only the keyring session's shell).
  setTimeout(() => {
    process.stderr.write('child watchdog: a path hung\n');
    process.exit(3);
  }, 90000).unref();

  // The header keyref puts the key in, per provider of these paths.
  const keyHeader = (req) => {
    const a = req.headers.authorization;
    if (a !== undefined) return a.startsWith('Bearer ') ? a.slice('Bearer '.length) : '';
    return req.headers['x-api-key'] ?? '';
  };

  const track = (list, s) => { list.push(s); return s; };
  // The refs the paths send with (names, never keys).
  const BOUND_REFS = ['env:CANARY_VAR', 'env:CANARY_MALFORMED', 'env:CANARY_MISSING_VAR',
    `keyring:keyref-canary-${process.pid}/nobody`, `keyring:keyref-canary-${process.pid}/alice`,
    'secret:openai', 'secret:rejects'];

  const run = async () => {
    const results = [];
    for (const p of paths) {
      const lines = [];
      const servers = [];
      const sidecars = [];
      const ctx = {
        lines,
        // Keys go only to origins they are bound to (docs/origins.md): the
        // refs these paths send are bound, through policy.origins, to the
        // loopback servers this path started before making its Sidecar,
        // and the audit trail is on (its file is scanned like the log).
        sidecar: (extra = {}) => {
          const origins = servers.map(({ srv }) => `http://127.0.0.1:${srv.address().port}`);
          const bound = {};
          for (const ref of BOUND_REFS) bound[ref] = origins;
          const policy = extra.policy ?? { logBodies: true, allowSchemes: ['env', 'secret', 'keyring'] };
          return track(sidecars, new Sidecar({
            log: (level, line) => lines.push(`${level} ${line}`),
            logLevel: 'trace',
            logStderr: true,
            logFile: { path: process.env.KEYREF_CANARY_LOGFILE, maxBytes: 1 << 20, maxFiles: 2 },
            auditFile: { path: process.env.KEYREF_CANARY_AUDITFILE, maxBytes: 4096, maxFiles: 2 },
            ...extra,
            policy: { ...policy, origins: { ...bound, ...(policy.origins ?? {}) } },
          }));
        },
        // A loopback server playing the provider. `seen` counts requests,
        // the requests whose key header held exactly the value of the env
        // variable `carriedEnv` (a boolean per request, so a path that sent
        // nothing or sent something else fails), and closed connections.
        // handler(req, res, key) gets the key the server received, as a
        // provider that echoes it would.
        server: async (handler, carriedEnv = 'CANARY_VAR') => {
          const seen = { requests: 0, carried: 0, closed: 0 };
          const sockets = new Set();
          const srv = http.createServer((req, res) => {
            req.resume();
            req.on('end', () => {
              const key = keyHeader(req);
              seen.requests += 1;
              if (key !== '' && key === process.env[carriedEnv]) seen.carried += 1;
              handler(req, res, key);
            });
          });
          srv.on('connection', (sock) => {
            sockets.add(sock);
            sock.on('close', () => { sockets.delete(sock); seen.closed += 1; });
          });
          await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
          servers.push({ srv, sockets });
          return { url: `http://127.0.0.1:${srv.address().port}`, seen };
        },
        // Waits (bounded) until cond() holds; returns whether it did.
        waitFor: async (cond, ms = 3000) => {
          const end = Date.now() + ms;
          while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
          return cond();
        },
        describeError: (e) => [
          String(e && e.code), String(e && e.message), String(e && e.hint), String(e && e.stack),
          String(e), JSON.stringify(e), util.inspect(e, { depth: 5 }),
        ],
        // Log lines travel through a thread-safe function: let them arrive.
        settle: () => new Promise((resolve) => setTimeout(resolve, 150)),
        // The host's own strings that contain the key (a conversation log, an
        // error toast): the one place this process reads the canary itself.
        hostTexts: () => {
          const c = process.env.CANARY_VAR;
          const b64 = Buffer.from(c).toString('base64');
          const texts = [
            c, `key=${c}`, JSON.stringify({ apiKey: c }), encodeURIComponent(c),
            `base64 ${b64}`, `url ${Buffer.from(c).toString('base64url')}`,
            `basic ${Buffer.from(`user:${c}`).toString('base64')}`,
            `${'x'.repeat(100000)}${c}${'y'.repeat(100000)}`,
            `é${c}ü`,
          ];
          for (const [i, run] of countableRuns(c)) if (i % 3 === 0) texts.push(`run <${run}>`);
          return texts;
        },
        literal: () => `sk-proj-${process.env.CANARY_LITERAL}`,
      };
      let emitted;
      try {
        emitted = await p.run(ctx);
      } catch (e) {
        emitted = ['PATH THREW', ...ctx.describeError(e)];
      }
      for (const { srv, sockets } of servers) {
        for (const sock of sockets) sock.destroy();
        await new Promise((resolve) => srv.close(resolve));
      }
      await ctx.settle();
      for (const s of sidecars) {
        try { s.close(); } catch { /* closed by the path */ }
      }
      results.push({ name: p.name, emitted, lines });
    }
    process.stdout.write(JSON.stringify(results));
  };
  run().catch((e) => {
    process.stderr.write(`child failed: ${e && e.code}\n`);
    process.exitCode = 1;
  });
}
