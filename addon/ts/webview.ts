// The webview bridge (Sidecar.webviewState / acceptSecretFromWebview /
// toWebview / fromWebview call these).
//
// THE BOUNDARY. A webview is an untrusted page: its script, its extensions'
// content scripts, a compromised dependency or a devtools user can read
// everything it is sent and may post anything. So the page may be shown
// profiles, refs and secret states, and may send one key once
// (llmProfiles.storeSecret), which is stored write-only; nothing secret
// flows back: no value, no mask that encodes the length, no prefix. Every
// message the host sends goes through toWebview, which validates it against
// schemas/webview-messages.schema.json and refuses (WEBVIEW_LEAK_BLOCKED,
// sending nothing) a credential-named property or a string holding a live
// secret or a credential shape. Every message the page sends goes through
// fromWebview and is validated before the host acts on it.
import { invalidArgType, invalidArgValue, isPlainObject, keyrefError, KeyrefError, KeyrefErrorCode } from './errors';
import { SCHEMES, WEBVIEW_ERROR_CODES } from './catalog';
import { describeLeak, findLeak } from './guard';
import type { LlmProfile } from './llm_profile';
import { parseRef } from './ref';
import { Provider, PROVIDERS } from './request';
import { hostMessageError, webviewMessageError } from './schemas';
import { CheckResult, isWritableScheme, profileSecretRef, SecretOps } from './secret_ops';

/** What the webview is told about a profile's key: never the key. */
export type SecretState = 'stored' | 'missing' | 'locked' | 'unavailable' | 'invalid-ref';

/** A profile as the webview may show it. */
export interface ProfileView extends LlmProfile {
  secretState: SecretState;
  /** Why the state is not `stored` (the check's code). */
  secretCode?: KeyrefErrorCode;
  /** What to do, from the check. */
  secretHint?: string;
  /** The key's fingerprint (sidecar.describe): tells two keys apart, reveals nothing of either. */
  fingerprint?: string;
  /** The origins the key may be sent to (sidecar.describe). */
  origins?: string[];
}

/** Host to webview: the profiles to show. */
export interface StateMessage { type: 'llmProfiles.state'; profiles: ProfileView[]; selectedId?: string }
/** Host to webview: reply to storeSecret; the key is not echoed. */
export interface SecretStoredMessage {
  type: 'llmProfiles.secretStored'; requestId?: string; profileId: string;
  /** The ref the key was stored under: a ref, never the key. */
  apiKeyRef: string;
  secretState: SecretState;
}
/** Every message the host may send (schemas/webview-messages.schema.json#/$defs/hostToWebview). */
export type HostToWebviewMessage =
  | StateMessage
  | SecretStoredMessage
  // apiKeyRef: the ref whose entry was deleted, never a key.
  | { type: 'llmProfiles.secretDeleted'; requestId?: string; profileId: string; apiKeyRef?: string; secretState: SecretState }
  | { type: 'llmProfiles.saved' | 'llmProfiles.deleted' | 'llmProfiles.selected'; requestId?: string; profileId: string }
  | { type: 'llmProfiles.error'; requestId?: string; profileId?: string; code: string; message: string; hint?: string };

/** Every message the webview may send (…#/$defs/webviewToHost). */
export type WebviewToHostMessage =
  | { type: 'llmProfiles.ready'; requestId?: string }
  | { type: 'llmProfiles.save'; requestId?: string; profile: LlmProfile }
  | { type: 'llmProfiles.delete' | 'llmProfiles.select' | 'llmProfiles.deleteSecret'; requestId?: string; profileId: string }
  /** The one message that carries a key: stored write-only, never sent back. */
  | { type: 'llmProfiles.storeSecret'; requestId?: string; profileId: string; value: string };

/** Options of acceptSecretFromWebview. */
export interface AcceptSecretOptions {
  /**
   * Where to store the key: a secret:, keyring: or file: ref (a NAME, never
   * a key). Default `secret:keyref/profiles/<profileId>`.
   */
  ref?: string;
  /**
   * The origins the key may be sent to, recorded with it (storeSecret's
   * `origins`): usually the origin of the profile's baseUrl as the person
   * entered it in the host's own UI. Never taken from the message: the
   * webview cannot bind a key.
   */
  origins?: readonly string[];
}

const HINT_LEAK = 'Send refs and secret states only (sidecar.webviewState); never a key, a mask or a prefix.';
const PROFILE_FIELDS = ['id', 'label', 'provider', 'model', 'baseUrl', 'apiKeyRef', 'headers', 'options'] as const;

/** Maps a check() result to the state the webview may show. */
export function secretStateOf(r: CheckResult): Pick<ProfileView, 'secretState' | 'secretCode' | 'secretHint'> {
  if (r.ok) return { secretState: 'stored' };
  const out: Pick<ProfileView, 'secretState' | 'secretCode' | 'secretHint'> = {
    secretState: r.code === 'SECRET_NOT_FOUND' ? 'missing'
      : r.code === 'SOURCE_LOCKED' ? 'locked'
        : r.code.startsWith('REF_') ? 'invalid-ref' : 'unavailable',
    secretCode: r.code,
  };
  if (r.hint) out.secretHint = r.hint.slice(0, 500);
  return out;
}

/**
 * Checks a host-to-webview message and returns a frozen copy that is safe
 * to post. Throws WEBVIEW_LEAK_BLOCKED (a credential-named property, a
 * live secret, a credential shape) or ERR_INVALID_ARG_VALUE (not a message
 * of the schema); either way nothing should be posted.
 */
export function toWebview<T extends HostToWebviewMessage>(ops: Pick<SecretOps, 'redact'>, message: T): T {
  if (!isPlainObject(message)) throw invalidArgType('message', 'an object', message);
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(message));
  } catch {
    throw invalidArgValue('message', 'cannot be serialised (a cycle or a BigInt)');
  }
  const leak = findLeak(copy, ops);
  if (leak) {
    throw keyrefError('WEBVIEW_LEAK_BLOCKED', `Nothing was sent to the webview: ${describeLeak(leak)}.`, HINT_LEAK);
  }
  const err = hostMessageError(copy);
  if (err) throw invalidArgValue('message', `is not a host-to-webview message of schemas/webview-messages.schema.json: ${err}`);
  return deepFreeze(copy) as T;
}

/**
 * Validates a message from the webview. Unknown or malformed messages are
 * refused with a RangeError (ERR_INVALID_ARG_VALUE) that names the field
 * and rule, never a value.
 */
export function fromWebview(message: unknown): WebviewToHostMessage {
  if (!isPlainObject(message)) throw invalidArgType('message', 'an object', message);
  const err = webviewMessageError(message);
  if (err) throw invalidArgValue('message', `is not a webview message of schemas/webview-messages.schema.json: ${err}`);
  return message as WebviewToHostMessage;
}

/**
 * The llmProfiles.state message for `profiles`: their fields, apiKeyRef and
 * a secret state from check(). Checked by toWebview before it is returned.
 */
export async function webviewState(ops: SecretOps, profiles: readonly LlmProfile[],
  options?: { selectedId?: string }): Promise<StateMessage> {
  if (!Array.isArray(profiles)) throw invalidArgType('profiles', 'an array of profiles', profiles);
  if (options !== undefined && !isPlainObject(options)) throw invalidArgType('options', 'an object', options);
  const views = await Promise.all(profiles.map(async (p, i): Promise<ProfileView> => {
    if (!isPlainObject(p)) throw invalidArgType(`profiles[${i}]`, 'a profile object', p);
    // Only the schema's fields are copied: an extra property on the host's
    // object (a cached key, say) never reaches the message.
    const view: Record<string, unknown> = {};
    for (const f of PROFILE_FIELDS) if (p[f] !== undefined) view[f] = p[f];
    if (typeof p.apiKeyRef !== 'string') return Object.assign(view, { secretState: 'missing' }) as unknown as ProfileView;
    if (!ops.describe) return Object.assign(view, secretStateOf(await ops.check(p.apiKeyRef))) as unknown as ProfileView;
    // describe(), not check(): the same state plus the fingerprint and the
    // origins, and nothing more (no storedAt or lastUsedAt: the webview has
    // no use for them).
    const provider = typeof p.provider === 'string' && (PROVIDERS as readonly string[]).includes(p.provider)
      ? p.provider as Provider : undefined;
    const d = await ops.describe(p.apiKeyRef, provider ? { provider } : undefined);
    view.secretState = d.state;
    if (d.code) view.secretCode = d.code;
    if (d.hint) view.secretHint = d.hint.slice(0, 500);
    if (d.fingerprint) view.fingerprint = d.fingerprint;
    view.origins = d.origins;
    return view as unknown as ProfileView;
  }));
  const msg: StateMessage = { type: 'llmProfiles.state', profiles: views };
  if (options?.selectedId !== undefined) msg.selectedId = options.selectedId;
  return toWebview(ops, msg);
}

/**
 * Stores the key of an llmProfiles.storeSecret message write-only and
 * returns the llmProfiles.secretStored reply (the ref and its state; the key
 * is not echoed), already checked by toWebview.
 */
export async function acceptSecretFromWebview(ops: SecretOps, message: unknown,
  options?: AcceptSecretOptions): Promise<SecretStoredMessage> {
  const msg = fromWebview(message);
  if (msg.type !== 'llmProfiles.storeSecret') {
    throw invalidArgValue('message', 'is not an llmProfiles.storeSecret message');
  }
  if (options !== undefined && !isPlainObject(options)) throw invalidArgType('options', 'an object', options);
  // The ref the key is stored under: a NAME in a store keyref can write
  // (secret:, keyring:, file:), never the key itself.
  const ref = options?.ref ?? profileSecretRef(msg.profileId);
  if (typeof ref !== 'string') throw invalidArgType('options.ref', 'of type string', ref);
  const parsed = parseRef(ref, { allowSchemes: SCHEMES });
  if (!parsed.ok || !isWritableScheme(parsed.scheme)) {
    throw invalidArgValue('options.ref', 'must be a valid secret:, keyring: or file: ref (a store keyref can write to)');
  }
  if (options?.origins !== undefined && !Array.isArray(options.origins)) {
    throw invalidArgType('options.origins', 'an array of origin strings', options.origins);
  }
  try {
    await ops.storeSecret(ref, msg.value, options?.origins !== undefined ? { origins: options.origins } : undefined);
  } catch (err) {
    throw scrubbed(err, msg.value, ops);
  }
  // The reply names the ref the key went to (secret:keyref/profiles/<id>),
  // never the key: the webview is shown refs and states only.
  const reply: SecretStoredMessage = {
    type: 'llmProfiles.secretStored', profileId: msg.profileId, apiKeyRef: ref,
    secretState: secretStateOf(await ops.check(ref)).secretState,
  };
  if (msg.requestId !== undefined) reply.requestId = msg.requestId;
  return toWebview(ops, reply);
}

/** Codes an llmProfiles.error may carry (the schema's list); anything else is sent as INTERNAL. */
const ERROR_CODES: ReadonlySet<string> = new Set(WEBVIEW_ERROR_CODES);

/**
 * An llmProfiles.error message for a refused request, for the host to pass
 * to toWebview. The text of keyref's own errors is used (it never holds a
 * value); any other error becomes INTERNAL with a generic text, since its
 * message could quote anything. A text that still looks like a credential
 * is replaced, so the reply itself is never blocked.
 */
export function webviewErrorMessage(err: unknown, context?: { requestId?: string; profileId?: string },
  ops?: Pick<SecretOps, 'redact'>): HostToWebviewMessage {
  const e = err as Partial<KeyrefError> | undefined;
  const known = typeof e?.code === 'string' && ERROR_CODES.has(e.code);
  const code = known ? (e?.code as string) : 'INTERNAL';
  const clean = (text: unknown): string | undefined => {
    if (typeof text !== 'string') return undefined;
    const t = text.slice(0, 500);
    return findLeak(t, ops) ? undefined : t;
  };
  const message = (known ? clean(e?.message) : undefined) ?? `The request failed (${code}).`;
  const msg: HostToWebviewMessage = { type: 'llmProfiles.error', code, message };
  const hint = known ? clean(e?.hint) : undefined;
  if (hint) msg.hint = hint;
  if (context?.requestId !== undefined) msg.requestId = context.requestId;
  if (context?.profileId !== undefined) msg.profileId = context.profileId;
  return msg;
}

// A store's error, re-made so that it cannot carry the value it was given.
function scrubbed(err: unknown, value: string, ops: Pick<SecretOps, 'redact'>): KeyrefError {
  const e = err as Partial<KeyrefError> | undefined;
  const code = (typeof e?.code === 'string' ? e.code : 'INTERNAL') as KeyrefErrorCode;
  let message = typeof e?.message === 'string' ? ops.redact(e.message) : 'Storing the key failed.';
  if (message.includes(value)) message = 'Storing the key failed.';
  const hint = typeof e?.hint === 'string' && !e.hint.includes(value) ? ops.redact(e.hint) : undefined;
  return keyrefError(code, message, hint);
}

function deepFreeze(v: unknown): unknown {
  if (v !== null && typeof v === 'object') {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}
