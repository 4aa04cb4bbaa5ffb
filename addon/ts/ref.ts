// parseRef: the apiKeyRef v1 rules, run in native code (native/src/ref.cpp).
// This file only checks arguments and shapes the result.
import { DEFAULT_SCHEMES, KeyrefErrorCode, RefScheme, SCHEMES } from './catalog';
import { native } from './native';
import { invalidArgType, invalidArgValue } from './errors';

/**
 * A reference to an API key: WHERE the key lives, never the key itself.
 *
 * Allowed forms (docs/apikeyref.md is the full reference):
 * - `secret:NAME`  the host's secret store (VS Code SecretStorage)
 * - `env:NAME`     an environment variable of the extension host
 * - `keyring:ACCOUNT` or `keyring:SERVICE/ACCOUNT`  the OS keyring
 * - `op://VAULT/ITEM/[SECTION/]FIELD`  1Password CLI (opt-in)
 * - `pass:PATH`    pass(1) (opt-in)
 * - `file:NAME`    a 0600 plaintext secrets file (opt-in)
 *
 * It must never contain a key. There is no literal form and no guessing:
 * a bare `OPENAI_API_KEY` is refused (REF_NO_SCHEME) rather than read as an
 * environment variable name or as a key, and anything shaped like a
 * credential is refused (REF_LITERAL_SECRET). Profiles are synced, shown in
 * webviews and logged; a ref is safe in all three, a key is safe in none.
 */
export type ApiKeyRef = string;

/** A scheme of the apiKeyRef v1 format (native/include/keyref/ref.h kSchemes). */
export type { RefScheme };

/** The schemes enabled when a policy does not say: secret, env, keyring (kSchemes' defaultEnabled). */
export const DEFAULT_ALLOW_SCHEMES: readonly RefScheme[] = DEFAULT_SCHEMES;

/** Which schemes a ref may use. */
export interface RefPolicy {
  /** Schemes to accept. Default `['secret', 'env', 'keyring']`; op, pass and file are opt-in. */
  allowSchemes?: readonly RefScheme[];
}

/** A valid ref and its parts. */
export interface ParsedRefOk {
  ok: true;
  scheme: RefScheme;
  /** The ref as given. */
  ref: ApiKeyRef;
  /** Everything after `scheme:` (after `op://` for op). */
  name: string;
  /** keyring: the service, when the ref names one. */
  service?: string;
  /** keyring: the account. */
  account?: string;
  /** op: vault, item, optional section, field. */
  vault?: string;
  item?: string;
  section?: string;
  field?: string;
}

/** A refused ref: one code, a message and a hint. Neither quotes the input. */
export interface ParsedRefError {
  ok: false;
  code: Extract<KeyrefErrorCode, `REF_${string}`>;
  message: string;
  hint?: string;
}

export type ParsedRef = ParsedRefOk | ParsedRefError;

const SCHEME_BIT: Record<string, number> = Object.fromEntries(SCHEMES.map((s, i) => [s, 1 << i]));
const DEFAULT_BITS = schemeBits(DEFAULT_ALLOW_SCHEMES, 'policy.allowSchemes');
const out = native.refOut;
const describeCache = new Map<number, ReturnType<typeof native.describeRef>>();
// Mirrors RefOut in addon/src/ref_binding.cc.
const O_SCHEME = 0, O_RULE = 1, O_POS = 2, O_FAMILY = 3, O_CASE = 4, O_PARTS = 5;

/** @internal Converts a scheme list to the native bit set, checking each name. */
export function schemeBits(schemes: unknown, name: string): number {
  if (!Array.isArray(schemes)) throw invalidArgType(name, 'an array of scheme names', schemes);
  let bits = 0;
  for (const s of schemes) {
    if (typeof s !== 'string') throw invalidArgType(`${name}[]`, 'of type string', s);
    const bit = SCHEME_BIT[s];
    if (bit === undefined) {
      throw invalidArgValue(name, `unknown scheme ${JSON.stringify(s.slice(0, 16))}; ` +
        `known schemes are ${SCHEMES.join(', ')}`);
    }
    bits |= bit;
  }
  return bits;
}

/** @internal The bit set for an optional policy, validated. */
export function policyBits(policy: RefPolicy | undefined): number {
  if (policy === undefined) return DEFAULT_BITS;
  if (policy === null || typeof policy !== 'object') throw invalidArgType('policy', 'an object', policy);
  if (policy.allowSchemes === undefined) return DEFAULT_BITS;
  return schemeBits(policy.allowSchemes, 'policy.allowSchemes');
}

// Part i (name, service, account, vault, item, section, field) of a valid
// ref, from the offsets checkRef wrote; undefined when empty. Offsets are
// string indices because valid refs are ASCII.
function partOf(ref: string, i: number): string | undefined {
  const len = out[O_PARTS + 2 * i + 1];
  if (len === 0) return undefined;
  const start = out[O_PARTS + 2 * i];
  return ref.slice(start, start + len);
}

/** @internal parseRef with an already validated bit set. */
export function parseRefBits(ref: string, bits: number): ParsedRef {
  const code = native.checkRef(ref, bits);
  if (code === 0) {
    const scheme = SCHEMES[out[O_SCHEME]];
    const result: ParsedRefOk = { ok: true, scheme, ref, name: partOf(ref, 0) ?? '' };
    if (scheme === 'keyring') {
      const service = partOf(ref, 1);
      if (service !== undefined) result.service = service;
      result.account = partOf(ref, 2);
    } else if (scheme === 'op') {
      result.vault = partOf(ref, 3);
      result.item = partOf(ref, 4);
      const section = partOf(ref, 5);
      if (section !== undefined) result.section = section;
      result.field = partOf(ref, 6);
    }
    return result;
  }
  // The text depends only on these small integers (never on the input), so
  // it is memoised; the cache is bounded by the number of rule combinations.
  // One number, no string building: code < 32, rule < 32, scheme + 1 < 8,
  // family < 16, case flag < 2, position < 2^11 (refs are <= 256 chars).
  const key = code + 32 * (out[O_RULE] + 32 * ((out[O_SCHEME] + 1) + 8 * (out[O_FAMILY] +
    16 * (out[O_CASE] + 2 * out[O_POS]))));
  let text = describeCache.get(key);
  if (text === undefined) {
    text = native.describeRef(code, out[O_RULE], out[O_SCHEME], out[O_POS], out[O_FAMILY],
      out[O_CASE] === 1);
    describeCache.set(key, text);
  }
  const [codeName, message, hint] = text;
  const result: ParsedRefError = { ok: false, code: codeName, message };
  if (hint) result.hint = hint;
  return result;
}

/**
 * Checks an apiKeyRef against the v1 format and the policy's scheme
 * allow-list, in native code. Never resolves the secret.
 *
 * @param ref the apiKeyRef to check (see {@link ApiKeyRef})
 * @param policy which schemes to accept; default secret, env, keyring
 * @returns `{ ok: true, scheme, ref, … }` or `{ ok: false, code, message, hint }`
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) when ref is not a string;
 *   RangeError (`ERR_INVALID_ARG_VALUE`) for an unknown scheme in the policy
 */
export function parseRef(ref: string, policy?: RefPolicy): ParsedRef {
  if (typeof ref !== 'string') throw invalidArgType('ref', 'of type string', ref);
  return parseRefBits(ref, policyBits(policy));
}
