'use strict';
// A small, bounded run of the soak (bench/soak.js; the full 100,000 +
// 100,000 run is scripts/soak.sh, figures in docs/reliability.md): mixed
// providers, JSON and server-sent events, 5% injected failures, all through
// one Sidecar. It fails on a wrong outcome or growth past the bounds.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('soak, small: 2,000 requests and 2,000 checks, right outcomes, bounded growth', { timeout: 240000 }, () => {
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, '../../bench/soak.js'),
    '--requests', '2000', '--checks', '2000', '--concurrency', '16'], { encoding: 'utf8', timeout: 230000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
  assert.equal(report.badChecks, 0);
  assert.ok(report.outcomes.ok > 1800, JSON.stringify(report.outcomes));
  assert.ok(report.outcomes.CONNECT_FAILED > 0, 'no injected failure was seen');
});
