'use strict';
// sidecar.redact(text) on texts of a megabyte or more with a live key in
// them. Such a text takes the large path end to end: copied whole as UTF-8,
// scanned on two threads (the runs of live secrets on keyref's helper thread,
// the shapes and headers on the caller), and, when the result is ASCII,
// written on two threads straight into the memory of an external string
// (addon/src/sidecar_redact.cc, docs/performance.md). The key is planted
// where a split by position would cut it (the middle of the text, where
// the two-thread writing splits), at both ends, base64-encoded and as
// 12-character pieces; none of it may come back, and every other character
// must. The same texts are redacted twice: once right after small texts
// (the input buffer is back to its first size) and once right after a
// large one (the buffer is large, so the text is copied whole at once and
// whether it is ASCII is decided differently).
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
// The test build of the addon: its redaction probe resolves a ref natively,
// which makes the value a secret the redactor knows (then wipes it).
const { Sidecar } = require('./helpers/test_hooks');
const { externalExpected } = require('./helpers/external_strings');

const MARK = '[REDACTED]';

test('large texts with a live key: every piece of it is removed, wherever it falls, ASCII or not', async () => {
  // Not a credential shape: only the live-secret rule can find it.
  // 48 characters of a 62-symbol alphabet: any 12 of its middle count.
  const key = crypto.randomBytes(64).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 48);
  assert.equal(key.length, 48);
  const name = `KEYREF_LARGE_LIVE_${process.pid}`;
  process.env[name] = key;
  // apiKeyRef-style ref naming the variable that holds this test's random
  // key (never the key itself); resolved natively by the probe.
  const ref = `env:${name}`;
  const s = new Sidecar({ logLevel: 'off', policy: { allowSchemes: ['env'] } });
  try {
    // The probe rejects with a provider error that quoted the key (scrubbed:
    // that is what it probes); the value stays known to the redactor.
    await assert.rejects(s.native._redactionProbe(ref), /\[REDACTED\]/);
    delete process.env[name];
    assert.equal(s.redact(`k ${key} k`), `k ${MARK} k`, 'the key is not live: the test would prove nothing');
    const line = (i) => `2026-11-28T10:00:00.000Z INFO req_id=r${i} user=alice@example.com status=200\n`;
    const base = Array.from({ length: 16000 }, (_, i) => line(i)).join('');  // ~1.2 MB
    assert.ok(base.length > 1 << 20);
    const b64 = Buffer.from(key).toString('base64');
    // Runs that count (docs/redaction.md): 12 characters of the middle.
    const pieces = `${key.slice(0, 12)} ${key.slice(20, 32)} ${key.slice(30, 44)}`;
    // The key straddles the middle of the whole text (where the two-thread
    // writing splits): its first half ends exactly there.
    // With `pad` + ' ' before it and ' ' after it, text.length / 2 falls
    // after exactly half of the key when pad = post.length - pre.length.
    const around = (pre, post) => `${pre}${'y'.repeat(post.length - pre.length)} ${key} ${post}`;
    const wideLines = (ch) => `${ch.repeat(99)}\n`.repeat(6000);
    const texts = [
      ['middle', around(base, `\n${base}${line(1).repeat(40)}`)],
      ['both ends', `${key} ${base}${base} ${key}`],
      ['base64 and pieces', `${base}${b64}\n${pieces}\n${base}`],
      ['many', Array.from({ length: 8 }, (_, i) => `${base.slice(0, 200000)}${i} k=${key}\n`).join('')],
      ['latin-1', `${base}é ${key} é${base}`],
      ['non-latin-1', `${base}日 ${key} 🙂${base}`],
      ['U+0100.. only', `${wideLines('Ł')}${key}\n${wideLines('Ą')}`],
      ['lone surrogate', `${base}\uD800 ${key} \uDC00${base}`],
    ];
    // Where keyref makes external results (Node-API 10's external strings
    // and transparent huge pages: redact_boundary.test.js), an ASCII result
    // of 2 MiB or more is one, written on two threads: check that this test
    // reaches that path, as V8's count of external memory shows.
    if (externalExpected()) {
      const text = texts[0][1];
      assert.ok(text.length >= 2 << 20);
      const before = process.memoryUsage().external;
      const kept = s.redact(text);
      assert.ok(process.memoryUsage().external - before >= kept.length, 'no external result: the two-thread writing was not reached');
    }
    for (const [label, text] of texts) {
      assert.ok(text.length > 1 << 20, label);
      // The reference: each line on its own, a short text (one thread, the
      // small-text copy, a plain V8 string). No rule here spans lines.
      const want = text.split('\n').map((l) => s.redact(l)).join('\n');
      assert.ok(want.includes(MARK), `${label}: the reference found nothing`);
      for (const after of ['small texts', 'a large text']) {
        if (after === 'small texts') for (let i = 0; i < 16; ++i) s.redact('x');
        else s.redact(base);
        const got = s.redact(text);
        // Every run of 12 of the key's middle (its last 4 characters are not
        // part of it, docs/redaction.md); the rest is checked by `want`.
        for (let at = 0; at + 12 <= key.length - 4; ++at) {
          assert.ok(!got.includes(key.slice(at, at + 12)), `${label}, after ${after}: key characters ${at}..${at + 12} left`);
        }
        assert.ok(got === want, `${label}, after ${after}: ${got.length} characters, want ${want.length}`);
      }
    }
  } finally {
    s.close();
  }
});
