// The rules a profile must pass before it is persisted, exported or sent:
// the secret rules first (docs/invariants.md, "No secret at rest"), then
// the schema. Messages name the field, never the value.
import { PROFILE_URL_KEY_NAMES, RefScheme, SCHEMES } from './catalog';
import { isPlainObject } from './errors';
import { describeLeak, findLeak, isCredentialName } from './guard';
import { parseRef } from './ref';
import { profileSchemaError } from './schemas';
import type { SecretOps } from './secret_ops';

const ALL_SCHEMES: readonly RefScheme[] = SCHEMES;

/** @internal Why a profile may not be persisted. */
export interface Problem {
  code: 'PROFILE_INVALID' | 'PROFILE_CONTAINS_SECRET';
  message: string;
  hint?: string;
}

const HINT_SECRET = 'Store the key with storeSecret (or the profile UI) and set apiKeyRef to the ' +
  'ref it returns, e.g. secret:NAME or env:NAME. If the key was ever written to a file, rotate it.';

/**
 * @internal Why `raw` may not be persisted, or null. The secret rules run
 * first, so a profile with a key gets PROFILE_CONTAINS_SECRET (never the
 * schema's "unknown property"). Messages name the field, never the value.
 */
export function findProfileProblem(raw: unknown, ops: Pick<SecretOps, 'redact'> | undefined): Problem | null {
  if (!isPlainObject(raw)) return null;  // the schema says what is wrong
  const secret = (message: string): Problem => ({ code: 'PROFILE_CONTAINS_SECRET', message, hint: HINT_SECRET });
  // 1. A key field, whatever it holds.
  if (Object.prototype.hasOwnProperty.call(raw, 'apiKey')) return secret('the profile has an apiKey field');
  // 2. A literal in apiKeyRef: the same native rule as parseRef.
  if (typeof raw.apiKeyRef === 'string') {
    const r = parseRef(raw.apiKeyRef, { allowSchemes: ALL_SCHEMES });
    if (!r.ok && r.code === 'REF_LITERAL_SECRET') return secret('apiKeyRef holds a key, not a reference to one');
    if (!r.ok) return { code: 'PROFILE_INVALID', message: `apiKeyRef: ${r.message}`, hint: r.hint };
  }
  // 3. Any credential-named property, any credential-shaped string, any live
  //    secret, anywhere (property names included).
  const leak = findLeak(raw, ops, new Set(['api_key_env']));
  if (leak) return secret(describeLeak(leak));
  // 4. A key in baseUrl: user:password@, or a key-like query parameter.
  if (typeof raw.baseUrl === 'string') {
    let url: URL | undefined;
    try {
      url = new URL(raw.baseUrl);
    } catch {
      url = undefined;  // the schema reports the malformed URL
    }
    if (url && (url.username || url.password)) return secret('baseUrl carries a user name or password');
    if (url) {
      for (const name of url.searchParams.keys()) {
        if (isCredentialName(name) || PROFILE_URL_KEY_NAMES.has(name.toLowerCase())) {
          return secret("baseUrl's query has a key parameter");
        }
      }
    }
  }
  // 5. The legacy variable-name field: a name, not a key, but not a profile field either.
  if (Object.prototype.hasOwnProperty.call(raw, 'api_key_env')) {
    return { code: 'PROFILE_INVALID', message: 'the profile has the legacy api_key_env field',
      hint: 'Run ProfileStore.migrate(), or set apiKeyRef to env:NAME.' };
  }
  return null;
}

/** @internal Why a profile may not be stored (secret rules, then schema), or null. */
export function validateProfile(raw: unknown, ops: Pick<SecretOps, 'redact'> | undefined): Problem | null {
  const p = findProfileProblem(raw, ops);
  if (p) return p;
  const err = profileSchemaError(raw);
  if (err) {
    return { code: 'PROFILE_INVALID', message: `${err}`,
      hint: 'See schemas/llm-profile.schema.json (docs/profiles.md).' };
  }
  return null;
}
