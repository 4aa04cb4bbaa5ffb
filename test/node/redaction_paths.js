'use strict';
// The paths the canary test (redaction.test.js) drives, one entry each. A
// path runs in the child process, where the canary is only in the
// environment (CANARY_VAR), and returns every string keyref handed back to
// it; the log lines emitted meanwhile are added by the runner. `expect`
// runs in the parent on what came back and proves the path really carried
// the value (so the test can fail). To cover a new surface (check, request,
// events…), add an entry here.
//
// This file only exports data: node --test may load it as a test file.

/** @typedef {{ sidecar: (extra?: object) => any, describeError: (e: unknown) => string[],
 *   settle: () => Promise<void>, hostTexts: () => string[], lines: string[] }} Ctx */

const paths = [
  {
    name: 'resolve, then log the value at every level, LogRequest with bodies, provider error echoing it',
    async run(ctx) {
      const s = ctx.sidecar();
      try {
        await s.native._redactionProbe('env:CANARY_VAR');
        return ['probe resolved: expected a rejection'];
      } catch (e) {
        await ctx.settle();
        return ctx.describeError(e);
      }
    },
    expect(emitted, lines) {
      if (!emitted.includes('SOURCE_DENIED')) return 'the probe did not fail with SOURCE_DENIED';
      if (!lines.some((l) => l.includes('request POST https://provider.invalid'))) return 'no request line';
      if (!lines.some((l) => l.startsWith('trace') && l.includes('response-body'))) return 'no body line';
      if (lines.filter((l) => l.includes('[REDACTED]')).length < 10) return 'too few redacted lines';
      return null;
    },
  },
  {
    name: 'redact() of host strings after the value was resolved and wiped, on a second instance too',
    async run(ctx) {
      const a = ctx.sidecar();
      await a.native._redactionProbe('env:CANARY_VAR').catch(() => {});
      a.close();  // wipes what a holds; the fingerprints stay
      const b = ctx.sidecar();
      const out = [];
      for (const text of ctx.hostTexts()) out.push(a.redact(text), b.redact(text));
      await ctx.settle();
      return out;
    },
    expect(emitted) {
      if (emitted.length < 10) return 'no host strings were scrubbed';
      const bad = emitted.filter((s) => !s.includes('[REDACTED]'));
      return bad.length ? `${bad.length} outputs without a marker` : null;
    },
  },
  {
    name: 'missing secret',
    async run(ctx) {
      try {
        await ctx.sidecar().native._redactionProbe('env:CANARY_MISSING_VAR');
        return ['resolved: expected SECRET_NOT_FOUND'];
      } catch (e) {
        await ctx.settle();
        return ctx.describeError(e);
      }
    },
    expect: (emitted) => (emitted.includes('SECRET_NOT_FOUND') ? null : 'expected SECRET_NOT_FOUND'),
  },
  {
    name: 'malformed value (a line break), never registered',
    async run(ctx) {
      try {
        await ctx.sidecar().native._redactionProbe('env:CANARY_MALFORMED');
        return ['resolved: expected SECRET_MALFORMED'];
      } catch (e) {
        await ctx.settle();
        return ctx.describeError(e);
      }
    },
    expect: (emitted) => (emitted.includes('SECRET_MALFORMED') ? null : 'expected SECRET_MALFORMED'),
  },
  {
    name: 'a literal key given where a ref belongs',
    async run(ctx) {
      const literal = ctx.literal();
      const out = [];
      try {
        await ctx.sidecar().native._redactionProbe(literal);
        out.push('resolved: expected REF_LITERAL_SECRET');
      } catch (e) {
        out.push(...ctx.describeError(e));
      }
      const { parseRef } = require('../..');
      out.push(JSON.stringify(parseRef(literal)));
      await ctx.settle();
      return out;
    },
    expect: (emitted) => (emitted.includes('REF_LITERAL_SECRET') ? null : 'expected REF_LITERAL_SECRET'),
  },
  {
    name: 'closed sidecar',
    async run(ctx) {
      const s = ctx.sidecar();
      s.close();
      try {
        await s.native._redactionProbe('env:CANARY_VAR');
        return ['resolved after close'];
      } catch (e) {
        await ctx.settle();
        return ctx.describeError(e);
      }
    },
    expect: (emitted) => (emitted.includes('INTERNAL') ? null : 'expected INTERNAL'),
  },
  {
    name: 'a throwing log callback does not crash and leaks nothing',
    async run(ctx) {
      const s = ctx.sidecar({ log: () => { throw new Error('host log failed'); } });
      const out = [];
      await s.native._redactionProbe('env:CANARY_VAR').catch((e) => out.push(...ctx.describeError(e)));
      await ctx.settle();
      out.push('still alive');
      return out;
    },
    expect: (emitted) => (emitted.includes('still alive') ? null : 'the process did not survive'),
  },
];

module.exports = { paths };
