// Error codes and the argument checks every public function runs before
// native code does (precise TypeError/RangeError with Node-style codes).

import type { KeyrefErrorCode } from './catalog';

/**
 * Every stable code keyref puts on `err.code` or on a refused result:
 * native/include/keyref/error.h kErrorCodes, documented in docs/errors.md;
 * never renamed.
 */
export type { KeyrefErrorCode };

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

/**
 * @internal True for an object literal (or Object.create(null)): not null,
 * an array, or a class instance such as a Map. The one test every option
 * bag, profile and webview message passes before its keys are read.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
