'use strict';
// Two builds of the addon in one process: the per-line redact call of each,
// in alternating batches, so that a change is measured alone while this
// VM's speed moves by tens of percent within seconds (docs/performance.md,
// "Redaction, eleventh pass"). Each .node file is loaded directly (two
// files: two copies of keyref's native state), gets the same 16 secrets
// through its redaction probe (test-hooks builds only:
// scripts/build-addon.js --test-hooks), and redacts the same 4 096 120-byte
// log lines, batch by batch, the builds taking turns to go first. Prints
// each build's median µs per call and the median (and 10th and 90th
// percentiles) of the pairs' new/old ratios: below 1, the new build is
// faster. Figures only, no asserts; not run by CI.
//   node bench/node/ab_addons.js OLD.node NEW.node [PAIRS]   (default 200)
// Loading the same file twice gives one module: copy one build first. The
// options both builds get are this tree's (addon/dist, so the package must
// be built here: npm run build:ts).
const crypto = require('node:crypto');
const path = require('node:path');
const { normaliseOptions } = require('../../addon/dist/sidecar');
const { logLines, lines120, batchPerCall, median, quantile } = require('./log_lines');

async function main() {
  const [oldFile, newFile, pairsArg] = process.argv.slice(2);
  if (!oldFile || !newFile) {
    console.error('usage: node bench/node/ab_addons.js OLD.node NEW.node [PAIRS]');
    process.exit(2);
  }
  const pairs = Number(pairsArg || 200);
  if (!Number.isInteger(pairs) || pairs < 1) {
    console.error(`PAIRS must be a positive integer, not ${pairsArg}`);
    process.exit(2);
  }
  const secrets = [];
  for (let i = 0; i < 16; ++i) secrets.push(`sk-proj-${crypto.randomBytes(36).toString('base64url')}`);
  // Set before the Sidecars are made: they read the environment as it was
  // then (docs/requests.md, "The environment").
  for (let i = 0; i < secrets.length; ++i) process.env[`KEYREF_AB_${i}`] = secrets[i];
  const options = normaliseOptions({ logLevel: 'off', policy: { allowSchemes: ['env'] } });
  const builds = [oldFile, newFile].map((f) => {
    const native = require(path.resolve(f));
    if (native.testHooks !== true) throw new Error(`${f} is not a test-hooks build`);
    return new native.NativeSidecar(options);
  });
  for (let i = 0; i < secrets.length; ++i) {
    // The probe resolves the ref in native code and fails on purpose
    // (SOURCE_DENIED); the value's fingerprints stay registered.
    for (const s of builds) {
      await s._redactionProbe(`env:KEYREF_AB_${i}`).catch((e) => {
        if (e.code !== 'SOURCE_DENIED') throw e;
      });
    }
  }
  // A 16-character piece of a secret's random part matches no shape rule:
  // only its fingerprints catch it, so both builds must hash the runs.
  const piece = `2026-11-28T10:00:00.000Z WARN got ${secrets[3].slice(12, 28)} back\n`;
  for (const s of builds) {
    if (s.redact(piece).includes(secrets[3].slice(12, 28))) {
      throw new Error('a build did not register the secrets (its redaction left a piece of one)');
    }
  }
  const lines = lines120(logLines(4096 * 200));
  const [oldS, newS] = builds.map((s) => (t) => s.redact(t));
  for (let w = 0; w < 20; ++w) {
    batchPerCall(oldS, lines);
    batchPerCall(newS, lines);
  }
  const o = [];
  const n = [];
  const ratio = [];
  for (let i = 0; i < pairs; ++i) {
    let a;
    let b;
    if (i % 2 === 0) {
      a = batchPerCall(oldS, lines);
      b = batchPerCall(newS, lines);
    } else {
      b = batchPerCall(newS, lines);
      a = batchPerCall(oldS, lines);
    }
    o.push(a);
    n.push(b);
    ratio.push(b / a);
  }
  for (const s of builds) s.close();
  console.log(`per 120-byte line: old ${median(o).toFixed(3)} µs, new ${median(n).toFixed(3)} µs; ` +
    `new/old ${median(ratio).toFixed(3)} (10th-90th percentile ${quantile(ratio, 0.1).toFixed(3)}–` +
    `${quantile(ratio, 0.9).toFixed(3)}; median of ${pairs} alternating pairs of ${lines.length}-line batches)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
