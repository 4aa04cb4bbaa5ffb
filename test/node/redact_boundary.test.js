'use strict';
// sidecar.redact(text) at the N-API boundary (addon/src/sidecar_redact.cc):
// the native side decides how to copy the text (as UTF-16 into a 16 KiB
// scratch buffer, narrowed when it is ASCII; else UTF-8 into it; a longer
// text copied again as UTF-8 into room it cannot overflow), and a result of 1 MiB or more may be an external string over
// memory keyref maps. Whatever the path, every character must come back
// exactly (a lone surrogate in a changed text becomes U+FFFD, as V8's UTF-8
// conversion makes it; an unchanged text is the same string), a credential
// must be caught wherever the copy is cut, and a non-string is refused.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { Sidecar } = require('../..');
const { externalExpected } = require('./helpers/external_strings');

// A GitHub token shape: caught by the credential rules, no live secret needed.
const TOKEN = `ghp_${'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5'}`;
const MARK = '[REDACTED]';
// What a rebuilt (changed) text holds in place of `s`: lone surrogates
// become U+FFFD, as V8 writes them to UTF-8.
const rebuilt = (s) => Buffer.from(s, 'utf8').toString('utf8');

// First in this file (its own process): the scratch buffer keeps the size
// of the longest text its thread has copied, so only a fresh one has its
// 16 KiB boundary where these texts put it.
test('around the 16 KiB scratch buffer: no credential is missed and no character lost where a copy is cut', () => {
  const s = new Sidecar({ logLevel: 'off' });
  try {
    const K = 16 * 1024;
    // Fillers of 1, 2, 3 and 4 UTF-8 bytes per character, so that the
    // scratch buffer's end falls inside a character, just before it and
    // just after it.
    for (const fill of ['a', 'é', '日', '🙂']) {
      const bytes = Buffer.byteLength(fill);
      const chars = Math.floor(K / bytes);
      for (let n = chars - 12; n <= chars + 3; ++n) {
        const head = fill.repeat(n);
        // The token before the end of the buffer, across it, after it.
        const texts = [`${TOKEN} ${head}`, `${head.slice(0, -20 * fill.length)} ${TOKEN} ${head.slice(-20 * fill.length)}`,
          `${head} ${TOKEN}`, `${head}${fill}`];
        for (const t of texts) {
          const want = t.replace(TOKEN, MARK);
          const got = s.redact(t);
          assert.ok(got === want, `${fill} x ${n}: ${got.length} characters, want ${want.length}`);
        }
      }
    }
  } finally {
    s.close();
  }
});

test('non-strings are refused with ERR_INVALID_ARG_TYPE, in TypeScript and in native code', () => {
  const s = new Sidecar({ logLevel: 'off' });
  try {
    const type = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
    for (const v of [42, undefined, null, {}, ['x'], Symbol('x'), new String('x'), Buffer.from('x')]) {
      assert.throws(() => s.redact(v), type);
      assert.throws(() => s.native.redact(v), type);
    }
    assert.throws(() => s.native.redact(), type);
  } finally {
    s.close();
  }
});

test('texts without a credential come back unchanged, whatever their characters', () => {
  const s = new Sidecar({ logLevel: 'off' });
  try {
    const latin1 = Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('');
    // U+0100..U+017F: as Latin-1 these would be cut to their low byte
    // (U+0141 'Ł' to 0x41 'A').
    const above = Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x100 + i)).join('');
    for (const t of ['', 'a', 'é', 'café au lait', latin1, above, '日本語のログ', '🙂 emoji', '\uD800', '\uDC00',
      'a\uD800b\uDC00c', '\uDBFF\uDFFF', 'x'.repeat(16383), 'é'.repeat(9000)]) {
      assert.equal(s.redact(t), t);
    }
  } finally {
    s.close();
  }
});

test('a credential is replaced and every other character kept, next to any character', () => {
  const s = new Sidecar({ logLevel: 'off' });
  try {
    // ŁĄ (U+0141 U+0104) would read as "AD" if copied as Latin-1.
    const neighbours = ['', ' ', 'é', ' é ', 'ÿ', '日', '🙂', 'ŁĄ', '\u0100', '\uD800', '\uDC00', '\uFFFD', '\u2028'];
    for (const before of neighbours) {
      for (const after of neighbours) {
        const text = `${before} ${TOKEN} ${after}`;
        assert.equal(s.redact(text), `${rebuilt(before)} ${MARK} ${rebuilt(after)}`, JSON.stringify(text));
      }
    }
    // Touching the token: a lone surrogate or a multibyte character is not
    // a token character, so the match ends there.
    assert.equal(s.redact(`é${TOKEN}é`), `é${MARK}é`);
    assert.equal(s.redact(`日${TOKEN}🙂`), `日${MARK}🙂`);
    assert.equal(s.redact(`\uD800${TOKEN}\uDC00`), `\uFFFD${MARK}\uFFFD`);
    // Characters of U+0100.. whose low byte spells a credential are not one.
    const disguised = Array.from(TOKEN, (c) => String.fromCharCode(0x100 + c.charCodeAt(0))).join('');
    assert.equal(s.redact(`x ${disguised} y`), `x ${disguised} y`);
    assert.equal(s.redact(`${disguised} ${TOKEN}`), `${disguised} ${MARK}`);
  } finally {
    s.close();
  }
});

// A text that fits the scratch buffer as UTF-16 is copied so and narrowed
// to bytes when every unit is below 0x80 (keyref/ascii.h); any other unit
// sends it to the UTF-8 copy. One such unit at every position of a short
// text and around the UTF-16 copy's limit (8191 units) must be kept
// exactly, and must not read as its low byte (U+0141 as 'A'): narrowed, the
// disguised token below would be caught.
test('one non-ASCII unit at any position of a short text is kept, never narrowed to its low byte', () => {
  const s = new Sidecar({ logLevel: 'off' });
  try {
    const disguise = (t) => Array.from(t, (c) => String.fromCharCode(0x100 + c.charCodeAt(0))).join('');
    const units = ['\x80', '\xE9', '\xFF', '\u0141', '\u7F41', '\uD800', '\uDC00', '\uFFFF'];
    const base = `2026-11-28T10:00:00.000Z INFO user=alice path=/v1/chat ${TOKEN} status=200 bytes=100 ok\n`;
    const from = base.indexOf(TOKEN);
    for (let at = 0; at <= base.length; ++at) {
      // Not inside the token (what is left of a split token may still be
      // caught, by other rules).
      for (const u of at > from && at < from + TOKEN.length ? [] : units) {
        const t = base.slice(0, at) + u + base.slice(at);
        assert.equal(s.redact(t), rebuilt(t).replace(TOKEN, MARK), `${JSON.stringify(u)} at ${at}`);
      }
    }
    // Every character of the token at U+0100 + its byte: nothing to catch.
    const plain = base.replace(` ${TOKEN}`, '');
    for (let at = 0; at <= plain.length; ++at) {
      const t = `${plain.slice(0, at)}${disguise(TOKEN)}${plain.slice(at)}`;
      assert.equal(s.redact(t), t, `disguised token at ${at}`);
    }
    // Around the limit of the UTF-16 copy: ASCII texts of 8185..8200 units
    // (the last ones are cut there and copied again as UTF-8), with the
    // token at the end, and with one non-ASCII unit last.
    for (let n = 8185; n <= 8200; ++n) {
      const head = 'a'.repeat(n - TOKEN.length - 1);
      assert.equal(s.redact(`${head} ${TOKEN}`), `${head} ${MARK}`, `${n} units`);
      assert.equal(s.redact(`${head.slice(1)} ${TOKEN}\u0141`), `${head.slice(1)} ${MARK}\u0141`, `${n} units, U+0141 last`);
    }
  } finally {
    s.close();
  }
});

test('large texts (the external-string path): exact results, ASCII or not', () => {
  const s = new Sidecar({ logLevel: 'off' });
  try {
    const line = (i) => `2026-11-28T10:00:00.000Z INFO req_id=r${i} user=alice@example.com status=200\n`;
    const ascii = Array.from({ length: 40000 }, (_, i) => line(i)).join('');  // ~3 MB
    assert.ok(ascii.length > 2 << 20);
    for (const [name, text] of [
      ['ascii', `${ascii}token ${TOKEN}\n${ascii}`],
      ['ascii, token at the end', `${ascii}${TOKEN}`],
      ['ascii, token first', `${TOKEN} ${ascii}`],
      ['latin-1', `${ascii}é ${TOKEN} é${ascii}`],
      ['non-latin-1', `${ascii}日 ${TOKEN} 🙂${ascii}`],
      ['lone surrogate', `${ascii}\uD800 ${TOKEN} ${ascii}`],
      // Only characters of U+0100 and above whose low bytes are ASCII: a
      // Latin-1 copy would read them as ASCII.
      ['U+0100.. only', `${'Ł'.repeat(1 << 20)}${TOKEN}${'Ą'.repeat(1 << 20)}`],
    ]) {
      // 16 small texts first: the input buffer is back to 16 KiB, so the
      // large text is copied again whole, where its encoding is decided.
      for (let i = 0; i < 16; ++i) s.redact('x');
      const got = s.redact(text);
      const want = rebuilt(text.replace(TOKEN, MARK));
      assert.ok(got === want, `${name}: ${got.length} characters, want ${want.length}`);
    }
    assert.equal(s.redact(ascii), ascii);
  } finally {
    s.close();
  }
});

// In a child with --expose-gc: large results stay intact while referenced
// and are freed when dropped (an external string's memory belongs to V8
// until its finalizer runs), and native.redact keeps working after its
// Sidecar is closed and collected.
const CHILD = String.raw`
const { Sidecar } = require(process.argv[1]);
const TOKEN = process.argv[2];
let s = new Sidecar({ logLevel: 'off' });
const redact = s.native.redact;
const base = 'x'.repeat(1 << 20) + '\n';
// Where the external path can be taken (Node-API 10's external strings and
// transparent huge pages), a kept large result is memory V8 counts as
// external (napi_adjust_external_memory), at least its own size.
globalThis.gc();
const before = process.memoryUsage().external;
const probe = s.redact(base + TOKEN + ' ' + base);
const grew = process.memoryUsage().external - before;
if (process.argv[3] === 'external' && grew < probe.length) throw new Error('no external result: ' + grew);
const kept = [];
for (let i = 0; i < 40; ++i) {
  const r = s.redact(base + i + ' ' + TOKEN + ' ' + base);
  if (i % 8 === 0) kept.push([i, r]);
  if (i % 5 === 0) globalThis.gc();
}
globalThis.gc();
for (let round = 0; round < 3; ++round) {
  const junk = [];
  for (let i = 0; i < 20; ++i) junk.push(s.redact(base + TOKEN + base.repeat(2)));
  junk.length = 0;
  globalThis.gc();
}
for (const [i, r] of kept) {
  if (r !== base + i + ' [REDACTED] ' + base) throw new Error('result ' + i + ' changed after a collection');
}
s.close();
s = null;
globalThis.gc();
if (redact('x-api-key: abc') !== 'x-api-key: [REDACTED]') throw new Error('the kept function stopped working');
if (probe !== base + '[REDACTED] ' + base) throw new Error('the probe changed');
process.stdout.write('ok');
`;

test('large results survive garbage collection while referenced; redact outlives its Sidecar', () => {
  const root = path.resolve(__dirname, '..', '..');
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD, root, TOKEN, externalExpected() ? 'external' : 'plain'], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ok');
});

// In a child with --expose-gc and the test build (its _redactStats hook):
// the memory of dead large results is pooled and reused, and a reused
// mapping never shows a byte of the result it held before (the new string
// has its own exact length), nor is the memory of a live result ever lent
// to another; the per-thread input buffer goes back to 16 KiB after a run
// of small texts.
const POOL_CHILD = String.raw`
const { Sidecar } = require(process.argv[1] + '/test/node/helpers/test_hooks');
const TOKEN = process.argv[2];
const external = process.argv[3] === 'external';
const s = new Sidecar({ logLevel: 'off' });
const settle = async () => {
  for (let i = 0; i < 3; ++i) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
};
const fail = (m) => { throw new Error(m); };
// Distinct fillers and lengths, so that a byte of another result shows.
const text = (fill, mib, i) => fill.repeat((mib << 20) + i * 4099) + ' ' + TOKEN + ' ' + fill.repeat(1000);
const want = (fill, mib, i) => fill.repeat((mib << 20) + i * 4099) + ' [REDACTED] ' + fill.repeat(1000);
(async () => {
  const stats = () => s.native._redactStats();
  // Pooling: results of 4 MiB, dropped and collected, then shorter ones.
  let dead = [];
  for (let i = 0; i < 4; ++i) dead.push(s.redact(text('a', 4, i)));
  dead = null;
  await settle();
  const pooled = stats();
  if (external && pooled.pooled < 1) fail('no mapping was pooled: ' + JSON.stringify(pooled));
  // A result about half their size does not take one of those mappings: kept
  // alive, it would hold twice the memory it needs.
  const half = s.redact(text('h', 2, 0));
  if (half !== want('h', 2, 0)) fail('the 2 MiB result differs');
  if (stats().reused !== pooled.reused) fail('a 2 MiB result took a 4 MiB mapping: ' + JSON.stringify(stats()));
  const kept = [];
  for (let i = 0; i < 6; ++i) {
    const fill = 'bcdefg'[i];
    const r = s.redact(text(fill, 3, i));
    if (r.length !== want(fill, 3, i).length) fail('result ' + i + ': ' + r.length + ' characters, want ' + want(fill, 3, i).length);
    if (r !== want(fill, 3, i)) fail('result ' + i + ' differs');
    kept.push([fill, i, r]);
  }
  const after = stats();
  if (external && after.reused <= pooled.reused) fail('no result reused a pooled mapping: ' + JSON.stringify(after));
  // Kept results stay intact while others come and go through the pool.
  for (let round = 0; round < 4; ++round) {
    for (let i = 0; i < 6; ++i) s.redact(text('z', 2 + (i % 3), i));
    await settle();
  }
  for (const [fill, i, r] of kept) if (r !== want(fill, 3, i)) fail('kept result ' + i + ' changed');
  if (external && stats().pooledBytes > (64 << 20)) fail('the pool holds more than its bound');
  // The input buffer: large after a large text, 16 KiB again after 16 small ones.
  s.redact(text('y', 3, 0));
  const large = stats().scratchBytes;
  if (large < 3 << 20) fail('the buffer did not grow: ' + large);
  for (let i = 0; i < 15; ++i) s.redact('key=' + TOKEN + ' ' + i);
  if (stats().scratchBytes !== large) fail('the buffer shrank before 16 small texts');
  s.redact('small');
  if (stats().scratchBytes !== 16 * 1024) fail('the buffer kept ' + stats().scratchBytes + ' bytes after 16 small texts');
  // ... and the pool of result memory is emptied with it.
  let held = [];
  for (let i = 0; i < 3; ++i) held.push(s.redact(text('w', 3, i)));
  held = null;
  await settle();
  if (external && stats().pooled < 1) fail('nothing pooled before the small texts');
  for (let i = 0; i < 16; ++i) s.redact('small ' + i);
  if (stats().pooled !== 0 || stats().pooledBytes !== 0) fail('the pool kept ' + JSON.stringify(stats()) + ' after 16 small texts');
  // Results still alive at the drain and collected after it are not pooled
  // either: the pool takes nothing until the next large result.
  let late = [s.redact(text('v', 3, 0)), s.redact(text('v', 3, 1))];
  for (let i = 0; i < 16; ++i) s.redact('small ' + i);
  if (stats().scratchBytes !== 16 * 1024) fail('the buffer did not shrink again');
  late = null;
  await settle();
  if (stats().pooled !== 0) fail('results that died after the drain were pooled: ' + JSON.stringify(stats()));
  // Texts of 8K-16K ASCII characters are small texts too (they fit the
  // first buffer as UTF-8); found in review: after a large text they took
  // the grown buffer's UTF-16 copy, counted as large, and it never shrank.
  s.redact(text('u', 3, 0));
  if (stats().scratchBytes < 3 << 20) fail('the buffer did not grow');
  for (let i = 0; i < 16; ++i) {
    if (s.redact('m'.repeat(10000 + i) + ' ' + TOKEN) !== 'm'.repeat(10000 + i) + ' [REDACTED]') fail('a 10K text');
  }
  if (stats().scratchBytes !== 16 * 1024) fail('the buffer kept ' + stats().scratchBytes + ' bytes after 16 texts of 10K');
  s.close();
  process.stdout.write('ok');
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('pooled result memory: reused, exact lengths, live results untouched; the input buffer shrinks back', () => {
  const root = path.resolve(__dirname, '..', '..');
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', POOL_CHILD, root, TOKEN, externalExpected() ? 'external' : 'plain'],
    { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ok');
});
