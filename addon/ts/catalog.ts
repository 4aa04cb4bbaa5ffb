// The lists native code owns, as TypeScript sees them: union types from the
// generated name lists (catalog.generated.ts), tables read at run time from
// the addon's `catalog`. Nothing here is a copy: adding a scheme, an error
// code, a provider or a credential name is a native table row (see
// docs/architecture.md), and test/node/catalog_drift.test.js fails until the
// schemas, docs and the generated names agree with it.
import type { ERROR_CODE_NAMES, PROVIDER_NAMES, SCHEME_NAMES } from './catalog.generated';
import { native, NativeProviderExtra, NativeProviderInfo } from './native';

/** A scheme of the apiKeyRef v1 format (native/include/keyref/ref.h). */
export type RefScheme = (typeof SCHEME_NAMES)[number];
/** Every stable error code (native/include/keyref/error.h). */
export type KeyrefErrorCode = (typeof ERROR_CODE_NAMES)[number];
/** The providers `request` knows (native/include/keyref/provider.h). */
export type Provider = (typeof PROVIDER_NAMES)[number];

const c = native.catalog;

/** Every scheme, in table order. */
export const SCHEMES: readonly RefScheme[] = Object.freeze(c.schemes.map((s) => s.name));
/** The schemes enabled when a policy does not say. */
export const DEFAULT_SCHEMES: readonly RefScheme[] =
  Object.freeze(c.schemes.filter((s) => s.defaultEnabled).map((s) => s.name));
/** The schemes storeSecret can write to. */
export const WRITABLE: readonly RefScheme[] =
  Object.freeze(c.schemes.filter((s) => s.writable).map((s) => s.name));
/** Every error code, in table order. */
export const ERROR_CODES: readonly KeyrefErrorCode[] = Object.freeze(c.errorCodes.map((e) => e.code));
/** Every provider name, in table order. */
export const PROVIDER_LIST: readonly Provider[] = Object.freeze(c.providers.map((p) => p.name));

const byName = new Map<string, NativeProviderInfo>(c.providers.map((p) => [p.name, p]));

/** The provider's row, or undefined for an unknown name. */
export function providerInfo(name: string): NativeProviderInfo | undefined {
  return byName.get(name);
}

/**
 * The provider's usual base URL (its row's defaultOrigin + defaultPath,
 * e.g. `https://api.openai.com/v1`), or undefined when it has none
 * (openai-compatible, litellm, azure-openai: the profile must give one).
 */
export function defaultBaseUrl(provider: string): string | undefined {
  const info = byName.get(provider);
  return info && info.defaultOrigin ? info.defaultOrigin + info.defaultPath : undefined;
}

/** The providers whose extras use a request option (e.g. referer: openrouter). */
export function providersUsingOption(option: NativeProviderExtra['option']): Provider[] {
  return c.providers.filter((p) => p.extras.some((e) => e.option === option)).map((p) => p.name);
}

/**
 * The codes the webview may be shown (schemas/webview-messages.schema.json,
 * `secretCode` and llmProfiles.error `code`): every class but `request`
 * (the webview sends no requests), plus Node's argument codes.
 */
export const WEBVIEW_ERROR_CODES: readonly string[] = Object.freeze([
  ...c.errorCodes.filter((e) => e.class !== 'request').map((e) => e.code),
  'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE',
]);

/** Request headers that carry or replace a key (lower case). */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(c.credentialHeaders);
/** Headers keyref sets itself (lower case). */
export const KEYREF_OWNED_HEADERS: ReadonlySet<string> = new Set(c.keyrefOwnedHeaders);
/** Property-name vocabulary (credential_names.h): parts, whole words, exceptions. */
export const CREDENTIAL_NAME_PARTS: readonly string[] = c.credentialNameParts;
export const CREDENTIAL_NAME_WORDS: readonly string[] = c.credentialNameWords;
export const CREDENTIAL_NAME_EXCEPTIONS: ReadonlySet<string> = new Set(c.credentialNameExceptions);
/** Query names a profile's baseUrl may not carry besides credential-named ones. */
export const PROFILE_URL_KEY_NAMES: ReadonlySet<string> = new Set(c.profileUrlKeyNames);
