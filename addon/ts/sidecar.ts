// The Sidecar: one keyref instance per extension (or per test). Options are
// checked here, with precise errors, before native code sees them.
import { native } from './binding';
import { invalidArgType, invalidArgValue, KeyrefErrorCode } from './errors';
import { ApiKeyRef, DEFAULT_ALLOW_SCHEMES, RefScheme, schemeBits } from './ref';

/** What an instance may do. Every field is optional. */
export interface SidecarPolicy {
  /** Schemes refs may use. Default `['secret', 'env', 'keyring']`; op, pass and file are opt-in. */
  allowSchemes?: readonly RefScheme[];
  /** Path of the plaintext JSON secrets file for `file:` refs (must be 0600, owned by the user). Default `$XDG_CONFIG_HOME/keyref/secrets.json`. */
  plaintextFile?: string;
  /** Keyring service used for `keyring:ACCOUNT` refs without a service. Default `keyref`. */
  keyringService?: string;
  /** Keep resolved values (in locked native memory) this long; 0, the default, disables the cache. */
  cacheTtlMs?: number;
  /** How long one resolution may take (keyring, host store, op, pass), in ms. Default 10000. */
  resolveTimeoutMs?: number;
  /** Allows exporting profiles with secrets; a confirm callback must still answer true. Default false. */
  allowSecretExport?: boolean;
}

/**
 * The host's secret store that `secret:NAME` refs read: VS Code's
 * `context.secrets`, an SDK SecretRegistry, a test object — anything with
 * these three methods. keyref calls `get` only when a secret is needed
 * (never at construction), with the NAME of the ref as the key.
 *
 * The value `get` returns is a JS string: keyref copies it into native
 * memory at once and never hands it back, but that string (and the one
 * `store` receives) lives in the JS heap under the host's control.
 */
export interface SecretStorageLike {
  /** The value stored under `key`, or undefined when there is none. */
  get(key: string): PromiseLike<string | undefined> | string | undefined;
  /** Stores `value` under `key`. */
  store(key: string, value: string): PromiseLike<void> | void;
  /** Removes `key`. */
  delete(key: string): PromiseLike<void> | void;
}

/** Options of `new Sidecar(options)`. */
export interface SidecarOptions {
  /** What this instance may do. */
  policy?: SidecarPolicy;
  /** The host's secret store for `secret:` refs (VS Code: `context.secrets`). Without it, `secret:` refs fail with SOURCE_UNAVAILABLE. */
  secretStorage?: SecretStorageLike;
  /** Receives already-redacted log lines (wired by the logging feature; accepted here). */
  log?: (...args: never[]) => unknown;
}

/** What `check()` resolves to when the ref would resolve. */
export interface CheckOk {
  ok: true;
  /** The ref's scheme. */
  scheme: RefScheme;
}

/**
 * What `check()` resolves to when the ref is refused or would not resolve.
 * `code` is a parse code (REF_*) or a resolution code (SECRET_NOT_FOUND,
 * SOURCE_UNAVAILABLE, SOURCE_LOCKED, SOURCE_DENIED, SOURCE_TIMEOUT,
 * SECRET_MALFORMED). Neither text holds a secret value.
 */
export interface CheckFailed {
  ok: false;
  code: KeyrefErrorCode;
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** The result of `sidecar.check(ref)`. */
export type CheckResult = CheckOk | CheckFailed;

/** One line of `sidecar.status()`: a scheme and whether it can be used now. */
export interface SourceStatus {
  scheme: RefScheme;
  /** The policy allows the scheme (`policy.allowSchemes`). */
  enabled: boolean;
  /** The source is reachable now (D-Bus and the Secret Service, op/pass on PATH, the file's permissions, …). */
  available: boolean;
  /** Why it is not available, or that the policy disables it. One line. */
  reason?: string;
}

/** @internal What the native constructor receives: validated and normalised. */
export interface NativeSidecarOptions {
  schemeBits: number;
  plaintextFile: string;
  keyringService: string;
  cacheTtlMs: number;
  resolveTimeoutMs: number;
  allowSecretExport: boolean;
  secretStorage?: SecretStorageLike;
}

/** @internal The raw native object. */
export interface NativeSidecar {
  close(): void;
  redact(text: string): string;
  check(ref: string): Promise<CheckResult>;
  status(): Promise<SourceStatus[]>;
  storeSecret(ref: string, value: string): Promise<void>;
  deleteSecret(ref: string): Promise<void>;
}

function optionalSecretStorage(v: unknown): SecretStorageLike | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object') {
    throw invalidArgType('options.secretStorage', 'an object with get, store and delete methods', v);
  }
  for (const m of ['get', 'store', 'delete']) {
    const f = (v as Record<string, unknown>)[m];
    if (typeof f !== 'function') {
      throw invalidArgType(`options.secretStorage.${m}`, 'a function', f);
    }
  }
  return v as SecretStorageLike;
}

function optionalString(obj: Record<string, unknown>, key: string, name: string): string {
  const v = obj[key];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
  if (v.includes('\0')) throw invalidArgValue(name, 'contains a NUL character');
  return v;
}

function optionalMs(obj: Record<string, unknown>, key: string, name: string, fallback: number): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
    throw invalidArgValue(name, 'must be an integer from 0 to 2147483647 (milliseconds)');
  }
  return v;
}

/** @internal Validates and normalises options for the native constructor. */
export function normaliseOptions(options: SidecarOptions | undefined): NativeSidecarOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const policy = (options.policy ?? {}) as Record<string, unknown>;
  if (typeof policy !== 'object' || policy === null) {
    throw invalidArgType('options.policy', 'an object', options.policy);
  }
  const allow = policy.allowSchemes === undefined ? DEFAULT_ALLOW_SCHEMES : policy.allowSchemes;
  const exp = policy.allowSecretExport;
  if (exp !== undefined && typeof exp !== 'boolean') {
    throw invalidArgType('options.policy.allowSecretExport', 'of type boolean', exp);
  }
  const secretStorage = optionalSecretStorage(options.secretStorage);
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw invalidArgType('options.log', 'a function', options.log);
  }
  const out: NativeSidecarOptions = {
    schemeBits: schemeBits(allow, 'options.policy.allowSchemes'),
    plaintextFile: optionalString(policy, 'plaintextFile', 'options.policy.plaintextFile'),
    keyringService: optionalString(policy, 'keyringService', 'options.policy.keyringService'),
    cacheTtlMs: optionalMs(policy, 'cacheTtlMs', 'options.policy.cacheTtlMs', 0),
    resolveTimeoutMs: optionalMs(policy, 'resolveTimeoutMs', 'options.policy.resolveTimeoutMs', 10000),
    allowSecretExport: exp === true,
  };
  if (secretStorage) out.secretStorage = secretStorage;
  return out;
}

type NativeCtor = new (options: NativeSidecarOptions) => NativeSidecar;

/**
 * A keyref instance. It resolves secrets only inside native code and never
 * returns one to JavaScript; every string it hands back has been redacted.
 */
export class Sidecar {
  /** @internal */
  protected readonly native: NativeSidecar;

  constructor(options?: SidecarOptions) {
    const Ctor = native.NativeSidecar as NativeCtor;
    this.native = new Ctor(normaliseOptions(options));
  }

  /**
   * Scrubs a string of the host's own (a conversation log, an error toast)
   * with the rules keyref applies to everything it emits.
   */
  redact(text: string): string {
    if (typeof text !== 'string') throw invalidArgType('text', 'of type string', text);
    return this.native.redact(text);
  }

  /**
   * Preflight: resolves `ref` in native code and reports whether it would
   * work, without revealing the value. Call it before switching a profile so
   * a missing key shows up before the first request. Refused refs (parse
   * codes) and failed resolutions are results, not rejections.
   *
   * @param ref an apiKeyRef such as `secret:openai` or `keyring:openai/alice`
   * @returns `{ ok: true, scheme }` or `{ ok: false, code, message, hint? }`
   * @throws (rejects) TypeError `ERR_INVALID_ARG_TYPE` when ref is not a
   *   string; Error `INTERNAL` after close()
   */
  check(ref: ApiKeyRef): Promise<CheckResult> {
    // Not `async`: the native promise is returned as is (an async wrapper
    // would add microtask turns to every call, a cache hit included).
    if (typeof ref !== 'string') return Promise.reject(invalidArgType('ref', 'of type string', ref));
    try {
      return this.native.check(ref);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Every scheme with whether the policy enables it, whether its source is
   * reachable now, and a one-line reason when it is not.
   */
  async status(): Promise<SourceStatus[]> {
    return this.native.status();
  }

  /**
   * Writes `value` to the store `ref` names: `secret:` (the host store),
   * `keyring:` (the Secret Service) or `file:` (the plaintext file, when
   * enabled). Write-only: nothing in keyref reads a value back to JS.
   * Other schemes reject with SOURCE_DENIED; a value with control
   * characters or an empty one with SECRET_MALFORMED.
   *
   * @param ref where to store, e.g. `keyring:openai/alice`
   * @param value the key; copied into native memory at once
   */
  async storeSecret(ref: ApiKeyRef, value: string): Promise<void> {
    if (typeof ref !== 'string') throw invalidArgType('ref', 'of type string', ref);
    if (typeof value !== 'string') throw invalidArgType('value', 'of type string', value);
    return this.native.storeSecret(ref, value);
  }

  /**
   * Removes the entry `ref` names from `secret:`, `keyring:` or `file:`. A
   * missing entry is not an error.
   */
  async deleteSecret(ref: ApiKeyRef): Promise<void> {
    if (typeof ref !== 'string') throw invalidArgType('ref', 'of type string', ref);
    return this.native.deleteSecret(ref);
  }

  /** Wipes every secret this instance holds. Further calls fail. */
  close(): void {
    this.native.close();
  }
}
