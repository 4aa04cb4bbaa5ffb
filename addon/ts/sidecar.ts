// The Sidecar: one keyref instance per extension (or per test). Options are
// checked here, with precise errors, before native code sees them.
import { native, NativeSidecar, NativeSidecarOptions } from './native';
import { invalidArgType, invalidArgValue, KeyrefErrorCode } from './errors';
import { kExportWithSecrets, kSecretExportAllowed } from './internal';
import type { LlmProfile } from './llm_profile';
import { ApiKeyRef, DEFAULT_ALLOW_SCHEMES, RefScheme, schemeBits } from './ref';
import type { SecretOps } from './secret_ops';
import * as bridge from './webview';
import { PROVIDERS, RequestOptions, RequestResponse, sendRequest } from './request';
import type { Provider } from './catalog';
import { AuditFileOptions, AuditRecord, KeyDescription, normaliseAuditFile, normaliseOrigins,
  normalisePolicyOrigins, StoreSecretOptions } from './origins';

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
  /**
   * At `trace`, also log request and response header values and bodies, scrubbed by the
   * redactor like every line. Default false: trace describes each request (method, origin
   * and path, status, timings, bytes, the ref and its scheme, header names) without them.
   */
  logBodies?: boolean;
  /**
   * Origins each key may be sent to, from the host's USER-scope settings
   * (never workspace settings: a repository must not be able to widen
   * where a key goes). A map from ref to origin patterns, for any scheme:
   * `{ 'env:OPENAI_API_KEY': ['https://api.openai.com'], 'secret:azure':
   * ['https://*.openai.azure.com'] }`. A pattern is an exact origin
   * (`https://host[:port]`; `http://` only for loopback hosts) or a leftmost
   * `*.` label (`https://*.openai.azure.com`). Added to the provider
   * defaults and the origins recorded by storeSecret. docs/origins.md.
   */
  origins?: Readonly<Record<ApiKeyRef, readonly string[]>>;
  /**
   * A PEM file of extra CA certificates every request trusts besides the
   * system store (a corporate proxy's or gateway's CA; NODE_EXTRA_CA_CERTS).
   * The host's own setting, like `origins`, never a request's: a party that
   * could add a CA to one request, and route it through a proxy it runs,
   * would read the key in it.
   */
  caFile?: string;
  /** Extra CA certificates as PEM text, as `caFile`. */
  ca?: string;
}

const POLICY_KEYS: ReadonlySet<string> = new Set(['allowSchemes', 'plaintextFile', 'keyringService', 'cacheTtlMs',
  'resolveTimeoutMs', 'allowSecretExport', 'logBodies', 'origins', 'caFile', 'ca']);

/** Log levels, most verbose first. `off` logs nothing. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off';
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'off'];

/** A rotating log file. */
export interface LogFileOptions {
  /** Path of the current file; rotated files get `.1`, `.2`, … before the extension. */
  path: string;
  /** Size at which the file rotates, in bytes (1024 to 2^31-1). Default 5 MiB. */
  maxBytes?: number;
  /** Rotated files kept besides the current one (0 to 100). Default 3. */
  maxFiles?: number;
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
  /**
   * Receives every log line (e.g. a VS Code LogOutputChannel), on the JS thread, in the
   * order lines were logged on any native thread. Every line has been redacted. An
   * exception it throws is swallowed: logging never takes the host down.
   */
  log?: (level: Exclude<LogLevel, 'off'>, line: string) => void;
  /** The least severe level logged. Default `info`. */
  logLevel?: LogLevel;
  /** Also write lines to a rotating file. */
  logFile?: LogFileOptions;
  /** Also write lines to stderr (command-line use). Default false. */
  logStderr?: boolean;
  /** The host's secret store for `secret:` refs (VS Code: `context.secrets`). Without it, `secret:` refs fail with SOURCE_UNAVAILABLE. */
  secretStorage?: SecretStorageLike;
  /**
   * The audit trail: one JSON line per request (time, ref, key fingerprint,
   * provider, origin, method, path without query, status or error code,
   * duration, bytes; never a key, body or query), in a 0600 file rotated
   * by size. A path, or `{ path, maxBytes, maxFiles }`. See `audit(n)` and
   * docs/origins.md.
   */
  auditFile?: string | AuditFileOptions;
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

/** A stream scrubber (Sidecar.redactStream). */
export interface StreamRedactor {
  /** Takes the next piece; returns the scrubbed text that is safe to hand on (may be less than given). */
  write(piece: string): string;
  /** End of the stream: returns everything still held, scrubbed. */
  end(): string;
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

// Undefined when absent: native's Policy (native/include/keyref/instance.h)
// holds the defaults, in one place.
function optionalMs(obj: Record<string, unknown>, key: string, name: string): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
    throw invalidArgValue(name, 'must be an integer from 0 to 2147483647 (milliseconds)');
  }
  return v;
}

function optionalBoolean(obj: Record<string, unknown>, key: string, name: string): boolean {
  const v = obj[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidArgType(name, 'of type boolean', v);
  return v;
}

function optionalInt(obj: Record<string, unknown>, key: string, name: string,
  min: number, max: number, fallback: number): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw invalidArgValue(name, `must be an integer from ${min} to ${max}`);
  }
  return v;
}

interface NormalisedLogOptions {
  log: ((level: string, line: string) => void) | undefined;
  logLevel: LogLevel;
  logFilePath: string;
  logFileMaxBytes: number;
  logFileMaxFiles: number;
  logStderr: boolean;
}

function normaliseLogOptions(options: Record<string, unknown>): NormalisedLogOptions {
  const log = options.log;
  if (log !== undefined && typeof log !== 'function') throw invalidArgType('options.log', 'a function', log);
  const level = options.logLevel;
  if (level !== undefined && typeof level !== 'string') {
    throw invalidArgType('options.logLevel', 'of type string', level);
  }
  if (level !== undefined && !LOG_LEVELS.includes(level as LogLevel)) {
    throw invalidArgValue('options.logLevel', `must be one of ${LOG_LEVELS.map((l) => `'${l}'`).join(', ')}`);
  }
  let logFilePath = '';
  let logFileMaxBytes = 5 * 1024 * 1024;
  let logFileMaxFiles = 3;
  const file = options.logFile;
  if (file !== undefined) {
    if (file === null || typeof file !== 'object' || Array.isArray(file)) {
      throw invalidArgType('options.logFile', 'an object', file);
    }
    const f = file as Record<string, unknown>;
    if (typeof f.path !== 'string') throw invalidArgType('options.logFile.path', 'of type string', f.path);
    if (f.path === '') throw invalidArgValue('options.logFile.path', 'must not be empty');
    if (f.path.includes('\0')) throw invalidArgValue('options.logFile.path', 'contains a NUL character');
    logFilePath = f.path;
    logFileMaxBytes = optionalInt(f, 'maxBytes', 'options.logFile.maxBytes', 1024, 2 ** 31 - 1, logFileMaxBytes);
    logFileMaxFiles = optionalInt(f, 'maxFiles', 'options.logFile.maxFiles', 0, 100, logFileMaxFiles);
  }
  return {
    log: log as NormalisedLogOptions['log'],
    logLevel: (level ?? 'info') as LogLevel,
    logFilePath,
    logFileMaxBytes,
    logFileMaxFiles,
    logStderr: optionalBoolean(options, 'logStderr', 'options.logStderr'),
  };
}

/** @internal Validates and normalises options for the native constructor. */
export function normaliseOptions(options: SidecarOptions | undefined): NativeSidecarOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const policy = (options.policy ?? {}) as Record<string, unknown>;
  if (typeof policy !== 'object' || policy === null) {
    throw invalidArgType('options.policy', 'an object', options.policy);
  }
  // Unknown keys are refused, not ignored: a workspace-shaped settings
  // object passed as the policy by mistake ("keyref.origins": …) must fail
  // loudly rather than half-apply (docs/origins.md).
  for (const k of Object.keys(policy)) {
    if (!POLICY_KEYS.has(k)) {
      throw invalidArgValue('options.policy', `unknown policy key ${JSON.stringify(k.slice(0, 32))}`);
    }
  }
  const allow = policy.allowSchemes === undefined ? DEFAULT_ALLOW_SCHEMES : policy.allowSchemes;
  const exp = policy.allowSecretExport;
  if (exp !== undefined && typeof exp !== 'boolean') {
    throw invalidArgType('options.policy.allowSecretExport', 'of type boolean', exp);
  }
  const secretStorage = optionalSecretStorage(options.secretStorage);
  const out: NativeSidecarOptions = {
    schemeBits: schemeBits(allow, 'options.policy.allowSchemes'),
    plaintextFile: optionalString(policy, 'plaintextFile', 'options.policy.plaintextFile'),
    keyringService: optionalString(policy, 'keyringService', 'options.policy.keyringService'),
    cacheTtlMs: optionalMs(policy, 'cacheTtlMs', 'options.policy.cacheTtlMs'),
    resolveTimeoutMs: optionalMs(policy, 'resolveTimeoutMs', 'options.policy.resolveTimeoutMs'),
    allowSecretExport: exp === true,
    logBodies: optionalBoolean(policy, 'logBodies', 'options.policy.logBodies'),
    caFile: optionalString(policy, 'caFile', 'options.policy.caFile'),
    ca: optionalString(policy, 'ca', 'options.policy.ca'),
    ...normaliseLogOptions(options as Record<string, unknown>),
    origins: normalisePolicyOrigins(policy.origins, schemeBits(allow, 'options.policy.allowSchemes')),
    ...normaliseAuditFile((options as Record<string, unknown>).auditFile),
  };
  if (secretStorage) out.secretStorage = secretStorage;
  return out;
}

/**
 * A keyref instance. It resolves secrets only inside native code and never
 * returns one to JavaScript; every string it hands back has been redacted.
 * It reads the process environment as it was when it was created (`env:`
 * keys, TLS trust variables, PATH): a later change to `process.env` is not
 * seen (docs/requests.md, "The environment").
 */
export class Sidecar {
  /** @internal */
  protected readonly native: NativeSidecar;
  /** @internal The policy's scheme bits, for checking refs before native code. */
  protected readonly schemeBits: number;

  constructor(options?: SidecarOptions) {
    const normalised = normaliseOptions(options);
    this.native = new native.NativeSidecar(normalised);
    this.schemeBits = normalised.schemeBits;
  }

  /**
   * Sends a request to an LLM provider. The key named by `apiKeyRef` is
   * resolved, put in the provider's header and wiped in native code; the
   * response (and every event and error) is scrubbed of it. Resolves for
   * every HTTP status; rejects (with `.code`) only when no response was had.
   * See RequestOptions and docs/requests.md.
   */
  request(options: RequestOptions): Promise<RequestResponse> {
    return sendRequest(this.native, this.schemeBits, options);
  }

  /**
   * Scrubs a string of the host's own (a conversation log, an error toast)
   * with the rules keyref applies to everything it emits.
   */
  redact(text: string): string {
    if (typeof text !== 'string') throw invalidArgType('text', 'of type string', text);
    // Native code finds out whether the text is ASCII (one copy for a short
    // text; no Buffer.byteLength pass here: addon/src/sidecar_redact.cc).
    return this.native.redact(text);
  }

  /**
   * A scrubber for a stream the host assembles from pieces (model output
   * shown as it arrives): `write(piece)` returns the scrubbed text that is
   * safe to show now, holding back only what could still complete a match
   * (so a secret split across pieces is caught before its last piece is
   * shown); `end()` returns the rest. Joining every return value equals
   * `redact()` of the whole text. chat() uses one per turn.
   */
  redactStream(): StreamRedactor {
    let carry = '';
    let ended = false;
    const step = (piece: string, final: boolean): string => {
      if (ended) throw invalidArgValue('stream', 'has ended');
      if (typeof piece !== 'string') throw invalidArgType('piece', 'of type string', piece);
      const [emit, rest] = this.native.redactStream(carry + piece, final);
      carry = rest;
      ended = final;
      return emit;
    };
    return { write: (piece: string) => step(piece, false), end: () => step('', true) };
  }

  // The webview bridge (addon/ts/webview.ts, where the boundary is
  // explained): the webview may be shown refs and states and may send one
  // key once; nothing secret flows back.

  /** The llmProfiles.state message for `profiles`: fields, apiKeyRef and a secret state each; never a value. */
  webviewState(profiles: readonly LlmProfile[], options?: { selectedId?: string }): Promise<bridge.StateMessage> {
    return bridge.webviewState(this, profiles, options);
  }

  /** Stores the key of an llmProfiles.storeSecret message write-only; resolves to the secretStored reply (ref and state, no key). */
  acceptSecretFromWebview(message: unknown, options?: bridge.AcceptSecretOptions): Promise<bridge.SecretStoredMessage> {
    return bridge.acceptSecretFromWebview(this, message, options);
  }

  /** Checks a message for the webview; returns a frozen copy to post, or throws WEBVIEW_LEAK_BLOCKED. */
  toWebview<T extends bridge.HostToWebviewMessage>(message: T): T {
    return bridge.toWebview(this, message);
  }

  /** Validates a message from the webview (unknown or malformed: RangeError ERR_INVALID_ARG_VALUE). */
  fromWebview(message: unknown): bridge.WebviewToHostMessage {
    return bridge.fromWebview(message);
  }

  /** @internal policy.allowSecretExport, as native code holds it. */
  [kSecretExportAllowed](): boolean {
    return this.native.secretExportAllowed();
  }

  /**
   * @internal Only ProfileStore.exportProfiles calls this, after its gate. Native code keeps the
   * gate again: it checks the policy and calls `confirm` itself, accepting only a literal `true`.
   */
  [kExportWithSecrets](items: Array<[string, string]>, file: string,
    confirm: (info: { file: string; profileIds: string[] }) => unknown): Promise<{ profiles: number; secrets: number }> {
    return this.native.exportWithSecrets(items, file, confirm);
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
  async storeSecret(ref: ApiKeyRef, value: string, options?: StoreSecretOptions): Promise<void> {
    if (typeof ref !== 'string') throw invalidArgType('ref', 'of type string', ref);
    if (typeof value !== 'string') throw invalidArgType('value', 'of type string', value);
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw invalidArgType('options', 'an object', options);
    }
    const origins = options?.origins === undefined ? [] : normaliseOrigins(options.origins, 'options.origins');
    return this.native.storeSecret(ref, value, origins);
  }

  /**
   * Replaces the origins recorded for the key stored under `ref` (secret:,
   * keyring:, file:), without touching the key; with `{ add: true }`, adds
   * them to those recorded for that same key instead. Call it only from a
   * person's explicit action (a confirmed "Trust this server for this key?"
   * prompt), never with a URL read from workspace configuration: that is
   * exactly the attack bindings stop. docs/origins.md.
   *
   * To trust one more origin, pass just that origin with `add`: a list built
   * from describe() would be read before the write (another window may store
   * a new key in between, and the old key's origins would then bind it), and
   * would copy the provider default and policy.origins into the record.
   *
   * @param origins exact origins (`https://host[:port]`, `http://` for
   *   loopback only) or `https://*.suffix` patterns; [] unbinds
   * @param options.add keep the origins already recorded for the key stored
   *   now (read under the same lock as the write); those recorded for a key
   *   it replaced are dropped
   * @param options.fingerprint the fingerprint (from describe()) of the key
   *   the person was asked about: when another key is stored by then, the
   *   call fails with KEY_CHANGED and binds nothing (their yes was for that
   *   key)
   */
  async bindOrigins(ref: ApiKeyRef, origins: readonly string[],
    options?: { add?: boolean; fingerprint?: string }): Promise<void> {
    if (typeof ref !== 'string') throw invalidArgType('ref', 'of type string', ref);
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw invalidArgType('options', 'an object', options);
    }
    const add = options?.add;
    if (add !== undefined && typeof add !== 'boolean') throw invalidArgType('options.add', 'of type boolean', add);
    const fingerprint = options?.fingerprint;
    if (fingerprint !== undefined) {
      if (typeof fingerprint !== 'string') throw invalidArgType('options.fingerprint', 'of type string', fingerprint);
      if (!/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/.test(fingerprint)) {
        throw invalidArgValue('options.fingerprint', 'must be a fingerprint as describe() returns it (xxxx-xxxx-xxxx)');
      }
    }
    return this.native.bindOrigins(ref, normaliseOrigins(origins, 'origins'), add === true, fingerprint ?? '');
  }

  /**
   * What a person may know about a key, never the key: its state (as
   * webviewState reports it), a fingerprint (a keyed digest, stable on this
   * installation, different for different keys; never a piece of the key),
   * the origins it may be sent to, and when it was stored and last sent.
   *
   * @param options.provider include that provider's default origin
   */
  async describe(ref: ApiKeyRef, options?: { provider?: Provider }): Promise<KeyDescription> {
    if (typeof ref !== 'string') throw invalidArgType('ref', 'of type string', ref);
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw invalidArgType('options', 'an object', options);
    }
    const provider = options?.provider;
    if (provider !== undefined && (typeof provider !== 'string' || !(PROVIDERS as readonly string[]).includes(provider))) {
      throw invalidArgValue('options.provider', `must be one of ${PROVIDERS.join(', ')}`);
    }
    const d = await this.native.describe(ref, provider ?? '');
    const state = bridge.secretStateOf(d.ok ? { ok: true, scheme: 'secret' }
      : { ok: false, code: d.code as KeyrefErrorCode, message: d.message ?? '', hint: d.hint });
    const out: KeyDescription = { state: state.secretState, origins: d.origins };
    if (state.secretCode) out.code = state.secretCode;
    if (state.secretHint) out.hint = state.secretHint;
    if (d.fingerprint) out.fingerprint = d.fingerprint;
    if (d.replacedOrigins.length > 0) out.replacedOrigins = d.replacedOrigins;
    if (d.bindingProblem) {
      const { code, message, hint } = d.bindingProblem;
      out.bindingProblem = hint ? { code: code as KeyrefErrorCode, message, hint } : { code: code as KeyrefErrorCode, message };
    }
    if (d.storedAt > 0) out.storedAt = new Date(d.storedAt).toISOString();
    if (d.lastUsedAt > 0) out.lastUsedAt = new Date(d.lastUsedAt).toISOString();
    return out;
  }

  /**
   * The last `n` audit records (default 100, at most 10000), oldest first:
   * from options.auditFile and its rotated files when set, else from the
   * last 1000 requests of this instance.
   */
  async audit(n = 100): Promise<AuditRecord[]> {
    if (typeof n !== 'number') throw invalidArgType('n', 'of type number', n);
    if (!Number.isInteger(n) || n < 0 || n > 10000) throw invalidArgValue('n', 'must be an integer from 0 to 10000');
    return this.native.audit(n);
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
