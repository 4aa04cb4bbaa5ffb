// keyref's public surface. Every call checks its arguments here, then runs
// in native code; nothing in this package returns a secret value.
export { parseRef, DEFAULT_ALLOW_SCHEMES } from './ref';
export type { ApiKeyRef, RefScheme, RefPolicy, ParsedRef, ParsedRefOk, ParsedRefError } from './ref';
export type { KeyrefError, KeyrefErrorCode } from './errors';
export { Sidecar } from './sidecar';
export type {
  SidecarOptions, SidecarPolicy, SecretStorageLike, CheckResult, CheckOk, CheckFailed, SourceStatus,
} from './sidecar';
