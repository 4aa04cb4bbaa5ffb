// Origins a key may be sent to, fingerprints and the audit trail: the
// option checks and types (docs/origins.md). The rules themselves (pattern
// grammar, the check before the key is written, where bindings are kept)
// live in native code: native/include/keyref/origin.h.
import { native, NativeAuditRecord } from './native';
import { invalidArgType, invalidArgValue, KeyrefErrorCode } from './errors';
import { parseRefBits } from './ref';
import type { SecretState } from './webview';

/** Options of `sidecar.storeSecret(ref, value, options)`. */
export interface StoreSecretOptions {
  /**
   * The origins this key may be sent to, recorded next to it in the same
   * store (where no workspace file can change it). Usually the origin of the
   * base URL the person typed with the key: `['https://llm.example.com']`.
   * Each is an exact origin (`https://host[:port]`; `http://` only for
   * loopback hosts) or a leftmost `*.` label (`https://*.openai.azure.com`).
   * Storing again replaces the record; without origins the key is bound by
   * its provider's default and policy.origins only.
   */
  origins?: readonly string[];
}

/** What `sidecar.describe(ref)` tells about a key: never the key. */
export interface KeyDescription {
  /** As webviewState reports it. */
  state: SecretState;
  /** Why the state is not `stored`. */
  code?: KeyrefErrorCode;
  /** What to do about it. */
  hint?: string;
  /**
   * A keyed digest of the key ("3f9a-71c2-0be4"): stable on this
   * installation, different for different keys, never a piece of the key
   * and useless for testing a guess without the installation's secret.
   * Absent when the key does not resolve.
   */
  fingerprint?: string;
  /**
   * Where the key may be sent: provider default, stored binding, policy.origins.
   * The stored binding counts only when it was recorded for the key stored now.
   */
  origins: string[];
  /**
   * The stored binding's origins when it was recorded for another key (a key
   * stored since replaced it, from another process say): they are not in
   * `origins`, and requests to them are refused until the key is stored
   * again with its origins or bound with bindOrigins. Absent otherwise.
   */
  replacedOrigins?: string[];
  /**
   * Set when the stored binding record cannot be read, so it binds nothing
   * and its origins are not in `origins`: `BAD_ORIGIN` when an origin in it
   * no longer parses (which one is named by its place, never its text),
   * `INTERNAL` when the record is not keyref's. The hint says to bind the
   * key again (bindOrigins, or storeSecret with its origins). Absent otherwise.
   */
  bindingProblem?: { code: KeyrefErrorCode; message: string; hint?: string };
  /** When storeSecret stored it (ISO 8601), if keyref did. */
  storedAt?: string;
  /** When a request last sent it (ISO 8601), as far as the audit trail knows. */
  lastUsedAt?: string;
}

/** The audit file. */
export interface AuditFileOptions {
  /** Path of the current file (created 0600); rotated files get `.1`, `.2`, …. */
  path: string;
  /** Size at which the file rotates, in bytes (4096 to 2^31-1). Default 10 MiB. */
  maxBytes?: number;
  /** Rotated files kept besides the current one (0 to 100). Default 5. */
  maxFiles?: number;
}

/** One line of the audit trail (fields: NativeAuditRecord in native.ts). Never a key, a header value, a body or a query string. */
export type AuditRecord = NativeAuditRecord;

const nat = native;

/**
 * The origin of a base URL, as storeSecret's `origins` and policy.origins
 * take it: `originOf('http://127.0.0.1:8080/v1')` is `'http://127.0.0.1:8080'`.
 * Throws BAD_BASE_URL for a URL keyref would not send to.
 */
export function originOf(baseUrl: string): string {
  if (typeof baseUrl !== 'string') throw invalidArgType('baseUrl', 'of type string', baseUrl);
  return nat.originOf(baseUrl);
}

/** @internal Checks a list of origin patterns; returns their canonical texts. */
export function normaliseOrigins(v: unknown, name: string): string[] {
  if (!Array.isArray(v)) throw invalidArgType(name, 'an array of origin strings', v);
  if (v.length > 64) throw invalidArgValue(name, 'has more than 64 origins');
  return v.map((o, i) => {
    if (typeof o !== 'string') throw invalidArgType(`${name}[${i}]`, 'of type string', o);
    try {
      return nat.originPattern(o);
    } catch (err) {
      const e = err as Error & { code?: string };
      throw invalidArgValue(`${name}[${i}]`, e.message);
    }
  });
}

/** @internal policy.origins as rows for the native constructor. */
export function normalisePolicyOrigins(v: unknown, schemeBits: number): Array<[string, ...string[]]> {
  if (v === undefined) return [];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw invalidArgType('options.policy.origins', 'an object mapping refs to origin arrays', v);
  }
  const rows: Array<[string, ...string[]]> = [];
  for (const [ref, list] of Object.entries(v as Record<string, unknown>)) {
    const parsed = parseRefBits(ref, schemeBits);
    if (!parsed.ok) {
      throw invalidArgValue('options.policy.origins', `a key is not a usable apiKeyRef (${parsed.code})`);
    }
    rows.push([ref, ...normaliseOrigins(list, `options.policy.origins[${JSON.stringify(ref)}]`)]);
  }
  return rows;
}

/** @internal options.auditFile, normalised. */
export function normaliseAuditFile(v: unknown): { auditFilePath: string; auditFileMaxBytes: number;
  auditFileMaxFiles: number; } {
  const out = { auditFilePath: '', auditFileMaxBytes: 10 * 1024 * 1024, auditFileMaxFiles: 5 };
  if (v === undefined) return out;
  const o = typeof v === 'string' ? { path: v } : v;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw invalidArgType('options.auditFile', 'a path or an object', v);
  }
  const f = o as Record<string, unknown>;
  if (typeof f.path !== 'string') throw invalidArgType('options.auditFile.path', 'of type string', f.path);
  if (f.path === '' || f.path.includes('\0')) {
    throw invalidArgValue('options.auditFile.path', 'must be a non-empty path without NUL');
  }
  out.auditFilePath = f.path;
  const int = (key: string, min: number, max: number, fallback: number): number => {
    const x = f[key];
    if (x === undefined) return fallback;
    if (typeof x !== 'number') throw invalidArgType(`options.auditFile.${key}`, 'of type number', x);
    if (!Number.isInteger(x) || x < min || x > max) {
      throw invalidArgValue(`options.auditFile.${key}`, `must be an integer from ${min} to ${max}`);
    }
    return x;
  };
  out.auditFileMaxBytes = int('maxBytes', 4096, 2 ** 31 - 1, out.auditFileMaxBytes);
  out.auditFileMaxFiles = int('maxFiles', 0, 100, out.auditFileMaxFiles);
  return out;
}
