'use strict';
// Child process of redaction.test.js: runs every path of redaction_paths.js
// with keyref configured to log everything (trace, logBodies, stderr, a
// file) and prints what came back as JSON. The canary reaches this process
// only through its environment. Loaded by node --test as well, where it does
// nothing.
if (process.env.KEYREF_CANARY_CHILD === '1') main();

function main() {
  const util = require('node:util');
  const { Sidecar } = require('../..');
  const { paths } = require('./redaction_paths');

  const run = async () => {
    const results = [];
    for (const p of paths) {
      const lines = [];
      const ctx = {
        lines,
        sidecar: (extra = {}) => new Sidecar({
          log: (level, line) => lines.push(`${level} ${line}`),
          logLevel: 'trace',
          logStderr: true,
          logFile: { path: process.env.KEYREF_CANARY_LOGFILE, maxBytes: 1 << 20, maxFiles: 2 },
          policy: { logBodies: true, allowSchemes: ['env', 'secret', 'keyring'] },
          ...extra,
        }),
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
          for (let i = 0; i + 8 <= c.length; i += 3) texts.push(`run <${c.slice(i, i + 8)}>`);
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
      results.push({ name: p.name, emitted, lines });
    }
    process.stdout.write(JSON.stringify(results));
  };
  run().catch((e) => {
    process.stderr.write(`child failed: ${e && e.code}\n`);
    process.exitCode = 1;
  });
}
