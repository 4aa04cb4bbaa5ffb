// keyref's public surface. Every call checks its arguments here, then runs
// in native code; nothing in this package returns a secret value.
export { parseRef, DEFAULT_ALLOW_SCHEMES } from './ref';
export type { ApiKeyRef, RefScheme, RefPolicy, ParsedRef, ParsedRefOk, ParsedRefError } from './ref';
export type { KeyrefError, KeyrefErrorCode } from './errors';
export { Sidecar } from './sidecar';
export type {
  SidecarOptions, SidecarPolicy, LogLevel, LogFileOptions, SecretStorageLike, CheckResult, CheckOk, CheckFailed,
  SourceStatus,
} from './sidecar';
export { ProfileStore, migrateProfiles } from './profiles';
export { profileSecretRef } from './secret_ops';
export type {
  LlmProfile, ProfileListing, InvalidProfileFile, ProfileStoreOptions, MigrateOptions, MigrationEntry,
  LegacyApiKeyHandling, ExportOptions, ExportReport, ExportConfirmInfo,
} from './profiles';
export { containsCredential, isCredentialName } from './guard';
export { webviewErrorMessage, secretStateOf } from './webview';
export type {
  SecretState, ProfileView, StateMessage, SecretStoredMessage, HostToWebviewMessage, WebviewToHostMessage,
  AcceptSecretOptions,
} from './webview';
export type { SecretOps } from './secret_ops';
export { originOf } from './origins';
export type { StoreSecretOptions, KeyDescription, AuditRecord, AuditFileOptions } from './origins';
export { PROVIDERS } from './request';
export { defaultBaseUrl } from './catalog';
export type { Provider, HttpMethod, RequestOptions, RequestResponse, ServerSentEvent } from './request';
export type { LLMConfiguration } from './llm_configuration';
export { chat } from './chat';
export type { ChatOptions, ChatMessage, ChatResult, ChatHttpError, ChatTransport } from './chat';
