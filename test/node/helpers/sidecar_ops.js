'use strict';
// A real Sidecar over an in-memory SecretStorage-shaped store (what VS Code
// passes as context.secrets), for the profile and webview tests.
const { Sidecar } = require('../../..');

/** A SecretStorage-shaped store, in memory. */
function memorySecretStorage() {
  const map = new Map();
  return {
    map,
    async get(key) { return map.get(key); },
    async store(key, value) { map.set(key, value); },
    async delete(key) { map.delete(key); },
  };
}

/**
 * A Sidecar with a fresh store. `makeLive(value)` makes a value live for the
 * redactor the way production does: it is stored, then resolved by check().
 */
function makeOps(options = {}) {
  const storage = memorySecretStorage();
  const sidecar = new Sidecar({ ...options, secretStorage: storage });
  const makeLive = async (value) => {
    const ref = `secret:keyref/test/live${Math.random().toString(36).slice(2, 10)}`;
    await sidecar.storeSecret(ref, value);
    await sidecar.check(ref);
  };
  return { ops: sidecar, sidecar, storage, makeLive };
}

module.exports = { makeOps, memorySecretStorage };
