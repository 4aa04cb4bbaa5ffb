'use strict';
// STAND-IN, NOT A FAKE OF AN EXTERNAL PART. sidecar.check, storeSecret and
// deleteSecret are built on another branch (issue 3), and the redactor's
// live-secret rules on another (issue 5); neither is in this branch yet. This
// helper stands in for that code so that the profile store and the webview
// bridge can be tested now. It is built on a REAL Sidecar (Object.create), so
// redact, the native export and everything else are the real thing; only
// check/storeSecret/deleteSecret and the "knows the values it stored" part of
// redact are provided here, with the semantics issue 3 documents:
//   check(ref) -> { ok: true, scheme } | { ok: false, code, message, hint? }
//   secret: refs live in a VS Code SecretStorage-shaped object { get, store, delete }.
// After the merge, tests use the real Sidecar instead: see makeOps() below,
// which switches on `typeof Sidecar.prototype.check === 'function'`.
const { Sidecar, parseRef } = require('../../..');

/** A SecretStorage-shaped store (what VS Code passes as context.secrets), in memory. */
function memorySecretStorage() {
  const map = new Map();
  return {
    map,
    async get(key) { return map.get(key); },
    async store(key, value) { map.set(key, value); },
    async delete(key) { map.delete(key); },
  };
}

function refError(code, message, hint) {
  const e = new Error(message);
  e.code = code;
  if (hint) e.hint = hint;
  return e;
}

/** Issue 3's check/storeSecret/deleteSecret over `storage`, on a real Sidecar `real`. */
function standIn(real, storage, policy = {}) {
  const ops = Object.create(real);
  const stored = new Set();
  ops.check = async (ref) => {
    const p = parseRef(ref, policy);
    if (!p.ok) return { ok: false, code: p.code, message: p.message, ...(p.hint ? { hint: p.hint } : {}) };
    if (p.scheme === 'secret') {
      const v = await storage.get(p.name);
      if (v === undefined) return { ok: false, code: 'SECRET_NOT_FOUND', message: `Nothing is stored under ${ref}.` };
      return { ok: true, scheme: 'secret' };
    }
    if (p.scheme === 'env') {
      if (process.env[p.name] === undefined) {
        return { ok: false, code: 'SECRET_NOT_FOUND', message: `The environment variable ${p.name} is not set.` };
      }
      return { ok: true, scheme: 'env' };
    }
    return { ok: false, code: 'SOURCE_UNAVAILABLE', message: `The ${p.scheme} source is not in this stand-in.` };
  };
  ops.storeSecret = async (ref, value) => {
    const p = parseRef(ref, policy);
    if (!p.ok) throw refError(p.code, p.message, p.hint);
    if (p.scheme !== 'secret') throw refError('SOURCE_UNAVAILABLE', `The stand-in stores secret: refs only.`);
    if (typeof value !== 'string' || value === '' || /[\u0000-\u001f\u007f]/.test(value)) {
      throw refError('SECRET_MALFORMED', 'The secret is empty or holds a control character.');
    }
    await storage.store(p.name, value);
    stored.add(value);
  };
  ops.deleteSecret = async (ref) => {
    const p = parseRef(ref, policy);
    if (!p.ok) throw refError(p.code, p.message, p.hint);
    await storage.delete(p.name);
  };
  // The real redactor, plus what issue 5's does and this branch's placeholder
  // does not: a value the instance has handled is live for the redactor.
  ops.redact = (text) => {
    let out = Sidecar.prototype.redact.call(real, text);
    for (const v of stored) out = out.split(v).join('[REDACTED]');
    return out;
  };
  /** Marks a value as live (what resolving it would do after issue 3/5). */
  ops.markLive = (value) => stored.add(value);
  return ops;
}

/**
 * The SecretOps a test should use: the real Sidecar once issue 3 is merged
 * (it then has check), the stand-in before. `policy` goes to the Sidecar.
 */
function makeOps(options = {}) {
  const storage = memorySecretStorage();
  const merged = typeof Sidecar.prototype.check === 'function';
  if (merged) {
    const sidecar = new Sidecar({ ...options, secretStorage: storage });
    // After the merge a value becomes live for the redactor by being
    // resolved: store it and check the ref.
    const makeLive = async (value) => {
      const ref = `secret:keyref/test/live${Math.random().toString(36).slice(2, 10)}`;
      await sidecar.storeSecret(ref, value);
      await sidecar.check(ref);
    };
    return { ops: sidecar, sidecar, storage, merged, makeLive };
  }
  const sidecar = new Sidecar(options);
  const ops = standIn(sidecar, storage, options.policy);
  return { ops, sidecar, storage, merged, makeLive: async (value) => ops.markLive(value) };
}

module.exports = { makeOps, memorySecretStorage, standIn };
