// The JSON schemas in schemas/ (the single definition of a profile and of
// the webview messages), compiled once with ajv. Error text is built here
// from the schema side only: ajv is never run in verbose mode, and no
// message quotes a value or an unknown property name that could be one.
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import * as fs from 'fs';
import * as path from 'path';
import { native } from './native';

const ROOT = path.resolve(__dirname, '..', '..', 'schemas');
/** $id of schemas/llm-profile.schema.json. */
export const PROFILE_SCHEMA_ID = 'https://keyref.dev/schemas/llm-profile.schema.json';
/** $id of schemas/webview-messages.schema.json. */
export const MESSAGES_SCHEMA_ID = 'https://keyref.dev/schemas/webview-messages.schema.json';

let ajv: Ajv2020 | undefined;

function instance(): Ajv2020 {
  if (ajv) return ajv;
  // allErrors off: the first error is the one reported, and a hostile
  // message cannot make validation do more work than needed.
  const a = new Ajv2020({ discriminator: true, allErrors: false, verbose: false });
  addFormats(a);
  for (const file of ['apikeyref.schema.json', 'llm-profile.schema.json', 'webview-messages.schema.json']) {
    a.addSchema(JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')));
  }
  ajv = a;
  return a;
}

function compiled(ref: string): ValidateFunction {
  const v = instance().getSchema(ref);
  if (!v) throw new Error(`keyref: schema ${ref} is missing`);
  return v;
}

/** @internal Validates a profile; returns a safe one-line error or null. */
export function profileSchemaError(value: unknown): string | null {
  const v = compiled(PROFILE_SCHEMA_ID);
  return v(value) ? null : describe(v.errors);
}

/** @internal Validates a host-to-webview message. */
export function hostMessageError(value: unknown): string | null {
  const v = compiled(`${MESSAGES_SCHEMA_ID}#/$defs/hostToWebview`);
  return v(value) ? null : describe(v.errors);
}

/** @internal Validates a webview-to-host message. */
export function webviewMessageError(value: unknown): string | null {
  const v = compiled(`${MESSAGES_SCHEMA_ID}#/$defs/webviewToHost`);
  return v(value) ? null : describe(v.errors);
}

const PLAIN_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,39}$/;

/** What safeName needs to recognise live secrets: a Sidecar's redact. */
export type NameRedactor = { redact(text: string): string };

/**
 * A path segment or property name safe to show: array indexes and plain
 * identifiers that are not credential-shaped and, when `ops` is given, hold
 * no live secret (a plain-looking key pasted as a property name).
 * Anything else (a header name, a key pasted as a property name) is shown
 * as `<name>`.
 */
export function safeName(name: string, ops?: NameRedactor): string {
  if (/^\d{1,6}$/.test(name)) return name;
  if (PLAIN_NAME.test(name) && native.containsCredential(name) === null &&
    (!ops || ops.redact(name) === name)) return name;
  return '<name>';
}

/** A JSON pointer with every segment passed through safeName. */
export function safePath(pointer: string, ops?: NameRedactor): string {
  if (pointer === '') return '(top level)';
  return pointer.split('/').slice(1)
    .map((s) => safeName(s.replace(/~1/g, '/').replace(/~0/g, '~'), ops)).map((s) => `/${s}`).join('');
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'does not match the schema';
  const at = safePath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at}: unknown property ${safeName(String(p.additionalProperty))}`;
    case 'required':
      return `${at}: missing property ${safeName(String(p.missingProperty))}`;
    case 'propertyNames':
    case 'not':
      return `${at}: a property name is not allowed here` +
        (e.schemaPath.includes('headers') ? ' (credential headers are refused: use apiKeyRef)' : '');
    case 'discriminator':
      return `${at}: unknown or missing message type`;
    case 'type':
      return `${at}: must be ${String(p.type)}`;
    case 'const':
    case 'enum':
      return `${at}: not one of the allowed values`;
    case 'pattern':
    case 'format':
      return `${at}: has the wrong form (${e.keyword} in the schema)`;
    default:
      // ajv's own messages for the remaining keywords (minLength, maximum,
      // maxProperties, …) quote limits from the schema, never the data.
      return `${at}: ${e.message ?? 'is not valid'}`;
  }
}
