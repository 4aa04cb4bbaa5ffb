// Error codes and the argument checks every public function runs before
// native code does (precise TypeError/RangeError with Node-style codes).

/**
 * Every stable code keyref puts on `err.code` or on a refused result.
 * Documented in docs/errors.md; never renamed.
 */
export type KeyrefErrorCode =
  // apiKeyRef parsing, in the order the rules are checked
  | 'REF_EMPTY' | 'REF_LITERAL_SECRET' | 'REF_TOO_LONG' | 'REF_BAD_CHAR'
  | 'REF_NO_SCHEME' | 'REF_UNKNOWN_SCHEME' | 'REF_SCHEME_DISABLED' | 'REF_BAD_NAME'
  // secret resolution
  | 'SECRET_NOT_FOUND' | 'SOURCE_UNAVAILABLE' | 'SOURCE_LOCKED' | 'SOURCE_DENIED'
  | 'SOURCE_TIMEOUT' | 'SECRET_MALFORMED'
  // outbound requests
  | 'REQUEST_TIMEOUT' | 'REQUEST_ABORTED' | 'CONNECT_FAILED' | 'TLS_FAILED'
  | 'PROXY_FAILED' | 'HEADER_FORBIDDEN' | 'BAD_BASE_URL'
  // origins a key may be sent to (docs/origins.md)
  | 'KEY_ORIGIN_DENIED' | 'KEY_ORIGIN_UNBOUND' | 'BAD_ORIGIN'
  // profiles and the webview bridge
  | 'PROFILE_CONTAINS_SECRET' | 'PROFILE_INVALID' | 'WEBVIEW_LEAK_BLOCKED' | 'EXPORT_DENIED'
  | 'INTERNAL';

/** An Error raised by keyref: `.code` is stable, `.hint` says what to do. Never holds a secret. */
export interface KeyrefError extends Error {
  code: KeyrefErrorCode;
  hint?: string;
}

/** Makes a KeyrefError. */
export function keyrefError(code: KeyrefErrorCode, message: string, hint?: string): KeyrefError {
  const err = new Error(message) as KeyrefError;
  err.code = code;
  if (hint) err.hint = hint;
  return err;
}

type NodeArgError = (TypeError | RangeError) & { code: string };

/** TypeError with code ERR_INVALID_ARG_TYPE, as Node's own APIs throw. */
export function invalidArgType(name: string, expected: string, actual: unknown): NodeArgError {
  const got = actual === null ? 'null' : Array.isArray(actual) ? 'an array' : `type ${typeof actual}`;
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${got}`) as NodeArgError;
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

/** RangeError with code ERR_INVALID_ARG_VALUE. `detail` must not quote a secret. */
export function invalidArgValue(name: string, detail: string): NodeArgError {
  const err = new RangeError(`The "${name}" argument is invalid: ${detail}`) as NodeArgError;
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}
