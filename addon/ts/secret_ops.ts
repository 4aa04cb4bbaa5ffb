// The part of the Sidecar that the profile store and the webview bridge use:
// profiles.ts and webview.ts are written against this interface, not the
// Sidecar class (so they never import it for types).
import { WRITABLE } from './catalog';
import type { KeyrefErrorCode } from './errors';
import type { KeyDescription } from './origins';
import type { ApiKeyRef, RefScheme } from './ref';
import type { Provider } from './request';

/** What `sidecar.check(ref)` resolves to: never a value. */
export type CheckResult =
  | { ok: true; scheme: RefScheme }
  | { ok: false; code: KeyrefErrorCode; message: string; hint?: string };

/** The secret operations profiles and the webview bridge need. A Sidecar is one. */
export interface SecretOps {
  /** Preflight: resolves the ref without revealing it. */
  check(ref: string): Promise<CheckResult>;
  /** Stores a value write-only under a ref (secret:, keyring:, file:), recording the origins it may go to. */
  storeSecret(ref: string, value: string, options?: { origins?: readonly string[] }): Promise<void>;
  /**
   * State, fingerprint and origins of a key (never the key). webviewState
   * uses it when present, check() otherwise.
   */
  describe?(ref: string, options?: { provider?: Provider }): Promise<KeyDescription>;
  /** Deletes the value stored under a ref. */
  deleteSecret(ref: string): Promise<void>;
  /** Scrubs a string; `redact(s) !== s` means s holds a live secret or a credential shape. */
  redact(text: string): string;
}

/** The ref migrate() and acceptSecretFromWebview() store a profile's key under. */
export function profileSecretRef(id: string): ApiKeyRef {
  // A secret: ref, i.e. a NAME in the host's secret store, scoped to the
  // profile id; never a key.
  return `secret:keyref/profiles/${id}`;
}

/** The schemes storeSecret can write to (native kSchemes' writable flag). */
export const WRITABLE_SCHEMES: readonly RefScheme[] = WRITABLE;

/** @internal True for a scheme storeSecret can write to. */
export function isWritableScheme(s: RefScheme): boolean {
  return WRITABLE_SCHEMES.includes(s);
}
