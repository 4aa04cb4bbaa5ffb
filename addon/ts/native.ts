// The private typing of the whole raw native binding, in one place (the
// public surface is index.ts). Every export of addon/src is typed here; there
// is no index signature, and no module reaches the binding another way.
// Loads the addon through node-gyp-build (source build, then prebuild).
//
// This file imports only the generated name lists (a leaf), so it sits
// below every other module and closes no import cycle.
import * as path from 'path';
import type { ERROR_CODE_NAMES, PROVIDER_NAMES, SCHEME_NAMES } from './catalog.generated';

type SchemeName = (typeof SCHEME_NAMES)[number];
type ErrorCodeName = (typeof ERROR_CODE_NAMES)[number];
type ProviderName = (typeof PROVIDER_NAMES)[number];
type RefErrorCodeName = Extract<ErrorCodeName, `REF_${string}`>;

/** One row of native's scheme table (ref.h kSchemes). */
export interface NativeSchemeInfo {
  readonly name: SchemeName;
  /** Enabled when a policy says nothing. */
  readonly defaultEnabled: boolean;
  /** The documented form, e.g. `keyring:[SERVICE/]ACCOUNT`. */
  readonly form: string;
  /** storeSecret/deleteSecret can write to its source. */
  readonly writable: boolean;
}

/** One row of native's error-code table (error.h kErrorCodes). */
export interface NativeErrorCodeInfo {
  readonly code: ErrorCodeName;
  readonly class: 'ref' | 'source' | 'request' | 'profile' | 'internal';
}

/** Something a provider adds to every request (provider.h ProviderExtra). */
export interface NativeProviderExtra {
  readonly kind: 'header' | 'query';
  readonly name: string;
  /** The request option that gives its value. */
  readonly option: 'apiVersion' | 'referer' | 'title';
  /** Sent when the option is not given; '' = nothing. */
  readonly fallback: string;
  readonly unlessCallerSets: boolean;
}

/** One row of native's provider table (provider.h kProviders). */
export interface NativeProviderInfo {
  readonly name: ProviderName;
  /** '' for a provider that takes no key. */
  readonly authHeader: string;
  readonly authPrefix: string;
  readonly keyRequired: boolean;
  /** The usual API origin; '' when the provider has none (per-resource or self-hosted). */
  readonly defaultOrigin: string;
  /** The path the API lives under at defaultOrigin (chat's default baseUrl). */
  readonly defaultPath: string;
  readonly extras: readonly NativeProviderExtra[];
}

/** The lists native code owns (addon/src/catalog_binding.cc). */
export interface NativeCatalog {
  readonly schemes: readonly NativeSchemeInfo[];
  readonly errorCodes: readonly NativeErrorCodeInfo[];
  readonly providers: readonly NativeProviderInfo[];
  readonly credentialHeaders: readonly string[];
  readonly keyrefOwnedHeaders: readonly string[];
  readonly keyLikeQueryNames: readonly string[];
  readonly credentialNameParts: readonly string[];
  readonly credentialNameWords: readonly string[];
  readonly credentialNameExceptions: readonly string[];
  readonly profileUrlKeyNames: readonly string[];
}

/** The host secret store as native code calls it (sidecar's SecretStorageLike). */
export interface NativeSecretStorage {
  get(key: string): PromiseLike<string | undefined> | string | undefined;
  store(key: string, value: string): PromiseLike<void> | void;
  delete(key: string): PromiseLike<void> | void;
}

/** What the NativeSidecar constructor receives: validated and normalised (sidecar.ts). */
export interface NativeSidecarOptions {
  schemeBits: number;
  plaintextFile: string;
  keyringService: string;
  /** Absent: native's default (Policy in native/include/keyref/instance.h). */
  cacheTtlMs?: number;
  resolveTimeoutMs?: number;
  allowSecretExport: boolean;
  logBodies: boolean;
  /** policy.caFile / policy.ca: '' = none. */
  caFile: string;
  ca: string;
  log: ((level: string, line: string) => void) | undefined;
  logLevel: string;
  /** '' = no file. */
  logFilePath: string;
  logFileMaxBytes: number;
  logFileMaxFiles: number;
  logStderr: boolean;
  secretStorage?: NativeSecretStorage;
  /** policy.origins as [ref, canonical origin, …] rows; refs already parsed (origins.ts). */
  origins: Array<[string, ...string[]]>;
  /** '' = no audit file. */
  auditFilePath: string;
  auditFileMaxBytes: number;
  auditFileMaxFiles: number;
}

/** What native describe() resolves to (times in ms, 0 = unknown; sidecar_origins.cc). */
export interface NativeKeyDescription {
  ok: boolean;
  code?: ErrorCodeName;
  message?: string;
  hint?: string;
  fingerprint: string;
  origins: string[];
  /** Stored origins recorded for another key (KeyDescription.replacedOrigins). */
  replacedOrigins: string[];
  /** Why the stored binding binds nothing (KeyDescription.bindingProblem). */
  bindingProblem?: { code: ErrorCodeName; message: string; hint?: string };
  storedAt: number;
  lastUsedAt: number;
}

/**
 * One line of the audit trail, as native audit() returns it (the audit
 * file's JSON line, parsed) and as Sidecar.audit() hands it on. Never a
 * key, a header value, a body or a query string.
 */
export interface NativeAuditRecord {
  /** When the request started (ISO 8601). */
  time: string;
  /** The apiKeyRef (absent for providers that take no key). */
  ref?: string;
  /** The key's fingerprint (absent when the key was not resolved, e.g. KEY_ORIGIN_DENIED). */
  fingerprint?: string;
  provider: string;
  /** `https://host:port` the request went (or would have gone) to. */
  origin: string;
  method: string;
  /** Base path plus request path; never the query. */
  path: string;
  /** The HTTP status, when a response arrived. */
  status?: number;
  /** The error code, when none did. */
  error?: string;
  durationMs: number;
  bytesSent: number;
  bytesReceived: number;
}

/** What native request() receives: validated and normalised (request.ts). */
export interface NativeRequestOptions {
  provider: ProviderName;
  baseUrl: string;
  /** A ref already checked by parseRef (where the key lives), never a key; native code parses it again. */
  apiKeyRef?: string;
  method: string;
  path: string;
  /** Flat [name, value, …]. */
  headers: string[];
  /** Flat [name, value, …]. */
  query: string[];
  body: string;
  contentType: string;
  /** Absent: native's default (HttpRequest in native/include/keyref/http_client.h). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  proxy?: string;
  proxyDisabled: boolean;
  envHttpsProxy: string;
  envHttpProxy: string;
  envNoProxy: string;
  retries?: number;
  referer: string;
  title: string;
  apiVersion: string;
}

/** What native check() resolves to: never a value. */
export type NativeCheckResult =
  | { ok: true; scheme: SchemeName }
  | { ok: false; code: ErrorCodeName; message: string; hint?: string };

/** One line of native status(). */
export interface NativeSourceStatus {
  scheme: SchemeName;
  enabled: boolean;
  available: boolean;
  reason?: string;
}

/** An opaque handle of a running request. */
export type NativeRequestHandle = object;

/** The raw native Sidecar object (addon/src/sidecar.cc). */
export interface NativeSidecar {
  close(): void;
  /**
   * Scrubs `text`; hands back the same string when nothing needed replacing.
   * An own property of each object, bound to its instance (addon/src/sidecar_redact.cc).
   */
  redact(text: string): string;
  /** One step of a stream scrubber over carry + piece: [scrubbed text to emit, carry to pass back]. */
  redactStream(text: string, final: boolean): [string, string];
  /**
   * Test hook (addon/src/test_hooks.cc): resolves `ref` and logs/throws it like the worst call site
   * could. Only in the test build of the addon (keyref_test_hooks.node); absent from the shipped one.
   */
  _redactionProbe?(ref: string): Promise<void>;
  secretExportAllowed(): boolean;
  /**
   * Native half of the secret-export gate (sidecar_export.cc): refuses unless policy.allowSecretExport
   * and `confirm`, called by native code, answers exactly true.
   */
  exportWithSecrets(items: Array<[string, string]>, file: string,
    confirm: (info: { file: string; profileIds: string[] }) => unknown): Promise<{ profiles: number; secrets: number }>;
  check(ref: string): Promise<NativeCheckResult>;
  status(): Promise<NativeSourceStatus[]>;
  /** `origins`: canonical origin texts, recorded next to the key (docs/origins.md). */
  storeSecret(ref: string, value: string, origins: string[]): Promise<void>;
  deleteSecret(ref: string): Promise<void>;
  /**
   * `add`: keep the origins recorded for the key stored now; `fingerprint`
   * ('' for none): the key the person was shown (Instance::Bind).
   */
  bindOrigins(ref: string, origins: string[], add: boolean, fingerprint: string): Promise<void>;
  /** `provider`: '' for none. */
  describe(ref: string, provider: string): Promise<NativeKeyDescription>;
  audit(n: number): Promise<NativeAuditRecord[]>;
  /**
   * Starts a request; events arrive in batches: the text of every field and
   * where each ends in it (UTF-16 offsets), three per event: data, event, id.
   */
  request(options: NativeRequestOptions,
    onEvent: ((text: string, ends: Uint32Array) => void) | null,
    onDone: (err: Error | null, status?: number, headers?: string[], body?: string) => void): NativeRequestHandle;
  abortRequest(handle: NativeRequestHandle | undefined): void;
}

/** The raw addon exports. Internal: use the functions in index.ts. */
export interface NativeBinding {
  readonly catalog: NativeCatalog;
  /** The scratch array checkRef fills (layout: RefOut in ref_binding.cc). */
  readonly refOut: Int32Array;
  checkRef(ref: string, schemeBits: number): number;
  describeRef(code: number, rule: number, scheme: number, position: number,
    family: number, caseMismatch: boolean): [RefErrorCodeName, string, string];
  /** The credential family of the first credential-shaped span, or null (shape_binding.cc). */
  containsCredential(text: string): string | null;
  /** flock(LOCK_EX | LOCK_NB) on an open fd; false when another holder has it (lock_binding.cc). */
  tryLock(fd: number): boolean;
  /** flock(LOCK_UN). */
  unlock(fd: number): void;
  readonly NativeSidecar: new (options: NativeSidecarOptions) => NativeSidecar;
  /** The canonical text of an origin pattern, or throws BAD_ORIGIN (sidecar_origins.cc). */
  originPattern(text: string): string;
  /** The origin of a base URL ("https://api.openai.com"), or throws BAD_BASE_URL. */
  originOf(baseUrl: string): string;
  /** True only in the test build (keyref_test_hooks.node, addon/src/test_hooks.cc). */
  readonly testHooks: boolean;
}

// node-gyp-build's order: build/Release, build/Debug (a source build, when
// there is one, is the fresher), then prebuilds/<platform>-<arch>/ for this
// libc (keyref.napi.glibc.node, scripts/prebuild.sh). In a package installed
// from npm only one of them exists: scripts/install.js builds from source
// only when no prebuild loads. PREBUILDS_ONLY=1 skips build/ (the test
// suite runs that way against the portable build); KEYREF_PREBUILD names
// another package root to load from.
function load(): NativeBinding {
  const root = path.resolve(__dirname, '..', '..');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeGypBuild: { resolve(dir: string): string } = require('node-gyp-build');
  let file: string;
  try {
    file = nodeGypBuild.resolve(root);
  } catch (cause) {
    const err: Error & { code?: string } = new Error('keyref: no native addon for this platform: no prebuild matches ' +
      `${process.platform}-${process.arch} and nothing was built from source in ${root}. ` +
      'Run `npm rebuild keyref` (or `npm run build:addon` in the package) to build it; ' +
      'docs/building.md lists what that needs.', { cause });
    err.code = 'ADDON_NOT_BUILT';
    throw err;
  }
  // require() is untyped; NativeBinding above is the contract, which
  // test/node/catalog_drift.test.js checks against the addon's exports.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const binding: NativeBinding = require(file);
  return binding;
}

export const native: NativeBinding = load();
