'use strict';
// sidecar.redact(text) against what a host would write in JavaScript: a
// replaceAll loop over the same 16 secrets (and their base64/base64url
// forms) plus one regex per credential shape and one for credential headers.
// The JS loop does less than keyref (no 8-character runs, no fingerprints of
// wiped values, no entropy rule), so the ratio is a lower bound.
// Usage: node bench/node/redact_bench.js  (prints MB/s and the ratio; no asserts)
const crypto = require('node:crypto');
// The test build of the addon: its redaction probe registers the secrets.
const { Sidecar } = require('../../test/node/helpers/test_hooks');

function typicalText(bytes) {
  let t = '';
  for (let i = 0; t.length < bytes; ++i) {
    t += `{"id":"chatcmpl-${1000 + i}","object":"chat.completion.chunk","created":1732300000,` +
      '"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"The quick brown fox jumps ' +
      'over the lazy dog, again and again."},"finish_reason":null}]}\n' +
      '2026-11-23T12:00:00.123 [debug] request POST https://api.openai.com/v1/chat/completions ' +
      'ref=secret:openai scheme=secret status=200 ttfb=123.4ms total=456.7ms sent=1234B\n';
  }
  return t;
}

const secrets = [];
for (let i = 0; i < 16; ++i) {
  secrets.push(`sk-proj-${crypto.randomBytes(36).toString('base64url')}`);
}

const patterns = [
  /\bsk-[A-Za-z0-9_-]{20,}/g, /\bAIza[A-Za-z0-9_-]{30,}/g, /\bA[KS]IA[A-Z0-9]{16,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, /\bgithub_pat_[A-Za-z0-9_]{30,}/g, /\bgsk_[A-Za-z0-9]{20,}/g,
  /\bhf_[A-Za-z0-9]{30,}/g, /\bxai-[A-Za-z0-9]{20,}/g, /\bpplx-[A-Za-z0-9]{20,}/g,
  /\br8_[A-Za-z0-9]{20,}/g, /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\beyJ[A-Za-z0-9_-]{7,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  /\b[Bb]earer +[A-Za-z0-9+/=._~-]{8,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /((?:proxy-)?authorization|x-api-key|api-key|x-goog-api-key|(?:set-)?cookie)(["']?\s*[:=]\s*)[^\r\n]*/gi,
];

function jsRedact(text) {
  for (const s of secrets) {
    text = text.replaceAll(s, '[REDACTED]');
    text = text.replaceAll(Buffer.from(s).toString('base64'), '[REDACTED]');
    text = text.replaceAll(Buffer.from(s).toString('base64url'), '[REDACTED]');
  }
  for (const re of patterns) text = text.replace(re, '[REDACTED]');
  return text;
}

function measure(fn, text, minMs = 1500) {
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let k = 0; k < 20; ++k) sink += fn(text).length;
    n += 20;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  if (sink < 0) console.log(sink);
  return (text.length * n) / (elapsed / 1000) / 1e6;  // MB/s (1 char = 1 byte here)
}

async function main() {
  const sidecar = new Sidecar({ logLevel: 'off', policy: { allowSchemes: ['env'] } });
  // Register the 16 secrets the way keyref does: resolved from refs in
  // native code (the probe wipes them again; their fingerprints stay).
  for (let i = 0; i < secrets.length; ++i) {
    process.env[`KEYREF_BENCH_${i}`] = secrets[i];
    await sidecar.native._redactionProbe(`env:KEYREF_BENCH_${i}`).catch(() => {});
  }
  const clean = typicalText(4096);
  const dirty = `${clean.slice(0, 1000)} key ${secrets[3]} ${clean.slice(1000, 2000)}\r\n` +
    `Authorization: Bearer ${secrets[7]}\r\n${clean.slice(2000, 3000)}"x-api-key": "${secrets[11]}"` +
    clean.slice(3000);
  let large = '';
  while (large.length < (1 << 20)) large += dirty;
  // Flatten the rope that += built (both sides get the same flat string).
  large = Buffer.from(large, 'latin1').toString('latin1');
  // Both sides must agree that the secrets are gone.
  for (const s of [secrets[3], secrets[7], secrets[11]]) {
    if (sidecar.redact(dirty).includes(s) || jsRedact(dirty).includes(s)) throw new Error('not redacted');
  }
  console.log('text              keyref MB/s   JS MB/s   ratio');
  for (const [name, text] of [['4 KB clean', clean], ['4 KB with secrets', dirty], ['1 MB with secrets', large]]) {
    const k = measure((t) => sidecar.redact(t), text);
    const j = measure(jsRedact, text);
    console.log(`${name.padEnd(18)}${k.toFixed(0).padStart(11)}${j.toFixed(0).padStart(10)}${(k / j).toFixed(1).padStart(8)}x`);
  }
  sidecar.close();
}

main();
