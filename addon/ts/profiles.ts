// The LLM profile store: one JSON file per profile in a 0700 folder, files
// 0600, every write atomic and taken under a cross-process lock. Nothing
// secret is ever written: save() refuses a profile that would persist a
// credential (see assertNoSecret), which is what makes the files safe to
// sync, share and show. docs/profiles.md describes the guarantees.
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { native } from './binding';
import { invalidArgType, invalidArgValue, keyrefError, KeyrefError, KeyrefErrorCode } from './errors';
import { describeLeak, findLeak, isCredentialName } from './guard';
import { kExportWithSecrets, kSecretExportAllowed } from './internal';
import { ApiKeyRef, parseRef, RefScheme } from './ref';
import { profileSchemaError } from './schemas';
import { profileSecretRef, SecretOps } from './secret_ops';
import { Sidecar } from './sidecar';

/**
 * One LLM profile (schemas/llm-profile.schema.json). It never holds a key:
 * `apiKeyRef` names where the key lives.
 */
export interface LlmProfile {
  /** `^[A-Za-z0-9._-]{1,64}$`; also the file name. */
  id: string;
  label: string;
  /** openai, anthropic, azure-openai, google, openrouter, ollama, … */
  provider: string;
  model: string;
  /** No user:password@ and no key-like query parameter. */
  baseUrl?: string;
  /**
   * Where the key lives (secret:, env:, keyring:, op://, pass:, file:),
   * never the key: profiles are synced, shared and shown in the webview.
   */
  apiKeyRef?: ApiKeyRef;
  /** Non-secret headers; credential header names are refused. */
  headers?: Record<string, string>;
  /** Provider options (temperature, maxTokens, apiVersion, …). */
  options?: Record<string, string | number | boolean>;
}

/** A profile file that list() or load() could not use. Never holds a value. */
export interface InvalidProfileFile {
  /** The id taken from the file name. */
  id: string;
  /** Absolute path of the file as found. */
  file: string;
  code: 'PROFILE_INVALID' | 'PROFILE_CONTAINS_SECRET';
  /** Which field and which rule; never the value. */
  message: string;
  hint?: string;
  /** Where the file was moved (`<id>.json.invalid-<timestamp>`), when it was set aside. */
  setAsideAs?: string;
  /** True for a legacy profile (apiKey / api_key_env) that migrate() rewrites; left in place. */
  legacy?: boolean;
}

/** What list() returns: the usable profiles and every file that is not one. */
export interface ProfileListing {
  profiles: LlmProfile[];
  invalid: InvalidProfileFile[];
}

/** Options of `new ProfileStore(dir, sidecar, options)`. */
export interface ProfileStoreOptions {
  /** How long a write waits for another process's lock, in ms. Default 10000. */
  lockTimeoutMs?: number;
}

/** How migrate() treats a legacy string `apiKey`. The caller chooses; keyref never guesses from the value. */
export type LegacyApiKeyHandling = 'store-secret' | 'env-name';

/** Options of migrate(). */
export interface MigrateOptions {
  /**
   * `'store-secret'` (default): store the value with `storeSecret` under
   * `secret:keyref/profiles/<id>` and point apiKeyRef there.
   * `'env-name'`: the value is the NAME of an environment variable; apiKeyRef
   * becomes `env:<value>`, refused unless parseRef accepts it.
   */
  apiKey?: LegacyApiKeyHandling;
}

/** What migrate() did to one profile file. Never holds the value. */
export interface MigrationEntry {
  id: string;
  file: string;
  action: 'migrated' | 'unchanged' | 'failed';
  /** The legacy fields found. */
  from?: Array<'apiKey' | 'api_key_env'>;
  /** stored-secret, env-name (apiKey read as a variable name), env (api_key_env), dropped-empty (apiKey was ""). */
  how?: 'stored-secret' | 'env-name' | 'env' | 'dropped-empty';
  /** The new apiKeyRef: a ref, never a key. */
  apiKeyRef?: ApiKeyRef;
  code?: KeyrefErrorCode;
  message?: string;
}

/** What the confirm callback of a secret export is told. */
export interface ExportConfirmInfo {
  file: string;
  profileIds: string[];
}

/** Options of exportProfiles(). */
export interface ExportOptions {
  /** Include each profile's key. Needs policy.allowSecretExport and confirm answering true. Default false. */
  includeSecrets?: boolean;
  /** Shows the host's modal; must answer exactly `true` for a secret export to run. */
  confirm?: (info: ExportConfirmInfo) => boolean | Promise<boolean>;
}

/** What exportProfiles() wrote: counts, never values. */
export interface ExportReport {
  file: string;
  profiles: number;
  secrets: number;
  includesSecrets: boolean;
  /** Ids of profile files that were not exported because they are invalid. */
  skipped: string[];
}

const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
const LOCK_NAME = '.keyref-profiles.lock';
const TMP_RE = /^\..*\.tmp$/;
const INVALID_RE = /^(.*)\.json\.invalid-[0-9TZ-]+$/;
const MAX_FILE_BYTES = 1 << 20;
const ALL_SCHEMES: readonly RefScheme[] = ['secret', 'env', 'keyring', 'op', 'pass', 'file'];
/** Query parameters refused in baseUrl besides credential-named ones (Azure SAS `sig`). */
const QUERY_KEY_NAMES = new Set(['sig', 'code']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

interface Problem {
  code: 'PROFILE_INVALID' | 'PROFILE_CONTAINS_SECRET';
  message: string;
  hint?: string;
}

const HINT_SECRET = 'Store the key with storeSecret (or the profile UI) and set apiKeyRef to the ' +
  'ref it returns, e.g. secret:NAME or env:NAME. If the key was ever written to a file, rotate it.';

/**
 * @internal Why `raw` may not be persisted, or null. The secret rules run
 * first, so a profile with a key gets PROFILE_CONTAINS_SECRET (never the
 * schema's "unknown property"). Messages name the field, never the value.
 */
export function findProfileProblem(raw: unknown, ops: Pick<SecretOps, 'redact'> | undefined): Problem | null {
  if (!isPlainObject(raw)) return null;  // the schema says what is wrong
  const secret = (message: string): Problem => ({ code: 'PROFILE_CONTAINS_SECRET', message, hint: HINT_SECRET });
  // 1. A key field, whatever it holds.
  if (Object.prototype.hasOwnProperty.call(raw, 'apiKey')) return secret('the profile has an apiKey field');
  // 2. A literal in apiKeyRef: the same native rule as parseRef.
  if (typeof raw.apiKeyRef === 'string') {
    const r = parseRef(raw.apiKeyRef, { allowSchemes: ALL_SCHEMES });
    if (!r.ok && r.code === 'REF_LITERAL_SECRET') return secret('apiKeyRef holds a key, not a reference to one');
    if (!r.ok) return { code: 'PROFILE_INVALID', message: `apiKeyRef: ${r.message}`, hint: r.hint };
  }
  // 3. Any credential-named property, any credential-shaped string, any live
  //    secret, anywhere (property names included).
  const leak = findLeak(raw, ops, new Set(['api_key_env']));
  if (leak) return secret(describeLeak(leak));
  // 4. A key in baseUrl: user:password@, or a key-like query parameter.
  if (typeof raw.baseUrl === 'string') {
    let url: URL | undefined;
    try {
      url = new URL(raw.baseUrl);
    } catch {
      url = undefined;  // the schema reports the malformed URL
    }
    if (url && (url.username || url.password)) return secret('baseUrl carries a user name or password');
    if (url) {
      for (const name of url.searchParams.keys()) {
        if (isCredentialName(name) || QUERY_KEY_NAMES.has(name.toLowerCase())) {
          return secret("baseUrl's query has a key parameter");
        }
      }
    }
  }
  // 5. The legacy variable-name field: a name, not a key, but not a profile field either.
  if (Object.prototype.hasOwnProperty.call(raw, 'api_key_env')) {
    return { code: 'PROFILE_INVALID', message: 'the profile has the legacy api_key_env field',
      hint: 'Run ProfileStore.migrate(), or set apiKeyRef to env:NAME.' };
  }
  return null;
}

/** @internal Why a profile may not be stored (secret rules, then schema), or null. */
export function validateProfile(raw: unknown, ops: Pick<SecretOps, 'redact'> | undefined): Problem | null {
  const p = findProfileProblem(raw, ops);
  if (p) return p;
  const err = profileSchemaError(raw);
  if (err) {
    return { code: 'PROFILE_INVALID', message: `${err}`,
      hint: 'See schemas/llm-profile.schema.json (docs/profiles.md).' };
  }
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * @internal Writes `text` to dir/name atomically: a 0600 temporary file in
 * the same folder (O_EXCL), fsync, rename over the target, fsync of the
 * folder. A crash at any point leaves the old file or the new one.
 */
export async function writeFileAtomic(dir: string, name: string, text: string): Promise<void> {
  const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'wx', 0o600);
  let renamed = false;
  try {
    try {
      await fh.chmod(0o600);  // the umask can only remove bits; make it exact
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(dir, name));
    renamed = true;
    await fsyncDir(dir);
  } finally {
    if (!renamed) await fsp.rm(tmp, { force: true });
  }
}

/**
 * @internal Runs `fn` holding the folder's lock: flock(2) on
 * `.keyref-profiles.lock`, so it works across processes (two extension
 * hosts) and the kernel releases it when a holder dies, even by SIGKILL:
 * there is no stale lock to break. Waits at most `timeoutMs`.
 */
export async function withDirLock<T>(dir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  // 'a': create when missing, never truncate (another process may hold it).
  const fh = await fsp.open(path.join(dir, LOCK_NAME), 'a', 0o600);
  try {
    const deadline = Date.now() + timeoutMs;
    let delay = 1;
    // tryLock never blocks (LOCK_NB); the wait is a timer, so the event loop runs.
    while (!native.tryLock(fh.fd)) {
      if (Date.now() >= deadline) {
        throw keyrefError('INTERNAL', `Timed out after ${timeoutMs} ms waiting for the lock of the profile folder ${dir}.`,
          'Another editor window may be stuck writing profiles; close it, or raise lockTimeoutMs.');
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
    try {
      return await fn();
    } finally {
      native.unlock(fh.fd);
    }
  } finally {
    await fh.close();
  }
}

// The store's own files in the folder: the lock and temporary files. (Ids
// may start with a dot, so "hidden" is not the test.)
function isOwnFile(name: string): boolean {
  return name === LOCK_NAME || TMP_RE.test(name);
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

type ReadOutcome =
  | { kind: 'ok'; profile: LlmProfile }
  | { kind: 'missing' }
  | { kind: 'invalid'; problem: Problem; legacy: boolean; setAside: boolean };

/**
 * One JSON file per LLM profile in `dir`. Pass the extension's Sidecar: the
 * store uses its redactor (live secrets), `storeSecret` (migration) and its
 * native export (exportProfiles with secrets).
 */
export class ProfileStore {
  /** The folder, absolute. */
  readonly dir: string;
  private readonly ops: SecretOps;
  private readonly lockTimeoutMs: number;
  private ready: Promise<void> | undefined;
  // Serialises this store's own writes, so they do not poll each other's lock.
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param dir the folder (created 0700 when missing; made 0700 when not)
   * @param sidecar the extension's Sidecar
   * @param options lockTimeoutMs
   */
  constructor(dir: string, sidecar: SecretOps, options?: ProfileStoreOptions) {
    if (typeof dir !== 'string') throw invalidArgType('dir', 'of type string', dir);
    if (dir === '' || dir.includes('\0')) throw invalidArgValue('dir', 'must be a non-empty path without NUL');
    if (sidecar === null || typeof sidecar !== 'object' || typeof sidecar.redact !== 'function') {
      throw invalidArgType('sidecar', 'a keyref Sidecar', sidecar);
    }
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw invalidArgType('options', 'an object', options);
    }
    const t = options?.lockTimeoutMs;
    if (t !== undefined && typeof t !== 'number') throw invalidArgType('options.lockTimeoutMs', 'of type number', t);
    if (t !== undefined && (!Number.isInteger(t) || t < 0 || t > 600000)) {
      throw invalidArgValue('options.lockTimeoutMs', 'must be an integer from 0 to 600000 (milliseconds)');
    }
    this.dir = path.resolve(dir);
    this.ops = sidecar;
    this.lockTimeoutMs = t ?? 10000;
  }

  private ensureDir(): Promise<void> {
    if (!this.ready) {
      this.ready = (async () => {
        await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
        await fsp.chmod(this.dir, 0o700);
      })();
      this.ready.catch(() => { this.ready = undefined; });
    }
    return this.ready;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      await this.ensureDir();
      return withDirLock(this.dir, this.lockTimeoutMs, async () => {
        await this.removeOrphanTemps();
        return fn();
      });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  // Temporary files are only written under the lock, so any found while
  // holding it belong to a writer that died mid-save: never a profile.
  private async removeOrphanTemps(): Promise<void> {
    for (const name of await fsp.readdir(this.dir)) {
      if (TMP_RE.test(name)) await fsp.rm(path.join(this.dir, name), { force: true });
    }
  }

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private async read(id: string): Promise<ReadOutcome> {
    let text: string;
    try {
      const fh = await fsp.open(this.fileOf(id), 'r');
      try {
        const st = await fh.stat();
        if (st.size > MAX_FILE_BYTES) {
          return { kind: 'invalid', legacy: false, setAside: true,
            problem: { code: 'PROFILE_INVALID', message: `the file is larger than ${MAX_FILE_BYTES} bytes` } };
        }
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // JSON.parse's own message quotes the text; this one does not.
      return { kind: 'invalid', legacy: false, setAside: true,
        problem: { code: 'PROFILE_INVALID', message: 'the file is not valid JSON' } };
    }
    const legacy = isPlainObject(raw) &&
      (Object.prototype.hasOwnProperty.call(raw, 'apiKey') || Object.prototype.hasOwnProperty.call(raw, 'api_key_env'));
    if (legacy) {
      return { kind: 'invalid', legacy: true, setAside: false, problem: {
        code: Object.prototype.hasOwnProperty.call(raw, 'apiKey') ? 'PROFILE_CONTAINS_SECRET' : 'PROFILE_INVALID',
        message: 'a legacy profile (apiKey or api_key_env)',
        hint: 'Run ProfileStore.migrate() to rewrite it with an apiKeyRef.' } };
    }
    const problem = validateProfile(raw, this.ops);
    if (problem) {
      // A file holding a credential stays where it is (moving it would not
      // remove the secret); the user removes the value and rotates the key.
      return { kind: 'invalid', legacy: false, setAside: problem.code === 'PROFILE_INVALID', problem };
    }
    if ((raw as LlmProfile).id !== id) {
      return { kind: 'invalid', legacy: false, setAside: true,
        problem: { code: 'PROFILE_INVALID', message: '/id: does not match the file name' } };
    }
    return { kind: 'ok', profile: raw as LlmProfile };
  }

  // Renames an invalid file to <id>.json.invalid-<timestamp> under the lock,
  // after checking it is still invalid (a fixed version may have been saved
  // meanwhile). Never deletes or overwrites it.
  private async setAside(id: string): Promise<string | undefined> {
    return this.locked(async () => {
      const again = await this.read(id);
      if (again.kind !== 'invalid' || !again.setAside) return undefined;
      const to = `${this.fileOf(id)}.invalid-${timestamp()}`;
      await fsp.rename(this.fileOf(id), to);
      await fsyncDir(this.dir);
      return to;
    });
  }

  private invalidEntry(id: string, o: Extract<ReadOutcome, { kind: 'invalid' }>, setAsideAs?: string): InvalidProfileFile {
    const e: InvalidProfileFile = { id, file: this.fileOf(id), code: o.problem.code, message: o.problem.message };
    if (o.problem.hint) e.hint = o.problem.hint;
    if (setAsideAs) e.setAsideAs = setAsideAs;
    if (o.legacy) e.legacy = true;
    return e;
  }

  /**
   * Every profile, sorted by id, and every file that is not a usable
   * profile: schema failures are set aside (renamed to
   * `<id>.json.invalid-<timestamp>`) and reported; files set aside earlier,
   * legacy profiles and files holding a credential are reported and left.
   */
  async list(): Promise<ProfileListing> {
    await this.ensureDir();
    const profiles: LlmProfile[] = [];
    const invalid: InvalidProfileFile[] = [];
    const names = (await fsp.readdir(this.dir)).sort();
    for (const name of names) {
      if (isOwnFile(name)) continue;
      const aside = INVALID_RE.exec(name);
      if (aside) {
        invalid.push({ id: aside[1], file: path.join(this.dir, name), setAsideAs: path.join(this.dir, name),
          code: 'PROFILE_INVALID', message: 'the file was set aside earlier because it failed the schema',
          hint: 'Fix it and rename it back to <id>.json, or delete it.' });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      if (!ID_RE.test(id)) {
        invalid.push({ id, file: path.join(this.dir, name), code: 'PROFILE_INVALID',
          message: 'the file name is not a valid profile id', hint: 'Rename it to <id>.json with id matching ^[A-Za-z0-9._-]{1,64}$.' });
        continue;
      }
      const o = await this.read(id);
      if (o.kind === 'ok') profiles.push(o.profile);
      else if (o.kind === 'invalid') invalid.push(this.invalidEntry(id, o, o.setAside ? await this.setAside(id) : undefined));
    }
    return { profiles, invalid };
  }

  /**
   * One profile, or undefined when there is none. An invalid file is set
   * aside (when it fails the schema) and reported with a PROFILE_INVALID or
   * PROFILE_CONTAINS_SECRET error naming the field and rule.
   */
  async load(id: string): Promise<LlmProfile | undefined> {
    checkId(id);
    await this.ensureDir();
    const o = await this.read(id);
    if (o.kind === 'missing') return undefined;
    if (o.kind === 'ok') return o.profile;
    const to = o.setAside ? await this.setAside(id) : undefined;
    throw keyrefError(o.problem.code, `The profile ${id} could not be loaded: ${o.problem.message}` +
      (to ? `; the file was set aside as ${path.basename(to)}.` : '.'), o.problem.hint);
  }

  /**
   * Saves a profile atomically (0600) under the folder lock and returns the
   * copy that was written.
   * @throws PROFILE_CONTAINS_SECRET (nothing written) when it would persist a credential
   * @throws PROFILE_INVALID when it fails the schema, or a legacy file with the same id awaits migration
   */
  async save(profile: LlmProfile): Promise<LlmProfile> {
    if (!isPlainObject(profile)) throw invalidArgType('profile', 'an object', profile);
    // THE secret check. It is the reason profile files can be synced,
    // shared, exported by default and shown in the webview: no key, no
    // literal in apiKeyRef, no credential-shaped or live-secret string in any
    // field, no key in baseUrl ever reaches the disk. Refused before
    // anything is written. Do not weaken it.
    const problem = validateProfile(profile, this.ops);
    if (problem) {
      throw keyrefError(problem.code, `The profile was not saved: ${problem.message}.`, problem.hint);
    }
    const copy = JSON.parse(JSON.stringify(profile)) as LlmProfile;
    const text = `${JSON.stringify(copy, null, 2)}\n`;
    await this.locked(async () => {
      const existing = await this.read(copy.id);
      if (existing.kind === 'invalid' && existing.legacy) {
        throw keyrefError('PROFILE_INVALID', `The profile was not saved: a legacy profile ${copy.id} is waiting for migration.`,
          'Run ProfileStore.migrate() first; saving over it would lose its key.');
      }
      if (existing.kind === 'invalid' && existing.setAside) {
        await fsp.rename(this.fileOf(copy.id), `${this.fileOf(copy.id)}.invalid-${timestamp()}`);
      }
      await writeFileAtomic(this.dir, `${copy.id}.json`, text);
    });
    return copy;
  }

  /** Deletes a profile file. Resolves to false when there was none. Its stored secret is the host's to delete. */
  async delete(id: string): Promise<boolean> {
    checkId(id);
    return this.locked(async () => {
      try {
        await fsp.unlink(this.fileOf(id));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      await fsyncDir(this.dir);
      return true;
    });
  }

  /**
   * Rewrites legacy profiles (a string `apiKey`, or `api_key_env: "NAME"`)
   * with an apiKeyRef, atomically, keeping no copy or backup of the old
   * file. Never guesses from the value's shape: `api_key_env` becomes
   * `env:NAME`, and `apiKey` is handled as `options.apiKey` says.
   * @returns one entry per profile file; never a value
   */
  async migrate(options?: MigrateOptions): Promise<MigrationEntry[]> {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw invalidArgType('options', 'an object', options);
    }
    const mode = options?.apiKey ?? 'store-secret';
    if (mode !== 'store-secret' && mode !== 'env-name') {
      throw invalidArgValue('options.apiKey', "must be 'store-secret' or 'env-name'");
    }
    // Under the lock: two windows migrating at once store each key once.
    return this.locked(async () => {
      const entries: MigrationEntry[] = [];
      for (const name of (await fsp.readdir(this.dir)).sort()) {
        if (isOwnFile(name) || !name.endsWith('.json')) continue;
        const id = name.slice(0, -5);
        const file = path.join(this.dir, name);
        let raw: unknown;
        try {
          raw = JSON.parse(await fsp.readFile(file, 'utf8'));
        } catch {
          entries.push({ id, file, action: 'unchanged', code: 'PROFILE_INVALID', message: 'not a JSON profile; list() reports it' });
          continue;
        }
        if (!isPlainObject(raw) || !(Object.prototype.hasOwnProperty.call(raw, 'apiKey') ||
            Object.prototype.hasOwnProperty.call(raw, 'api_key_env'))) {
          entries.push({ id, file, action: 'unchanged' });
          continue;
        }
        entries.push(await this.migrateOne(id, file, raw, mode));
      }
      return entries;
    });
  }

  private async migrateOne(id: string, file: string, raw: Record<string, unknown>,
    mode: LegacyApiKeyHandling): Promise<MigrationEntry> {
    const hasKey = Object.prototype.hasOwnProperty.call(raw, 'apiKey');
    const hasEnv = Object.prototype.hasOwnProperty.call(raw, 'api_key_env');
    const from: MigrationEntry['from'] = [];
    if (hasKey) from.push('apiKey');
    if (hasEnv) from.push('api_key_env');
    const fail = (code: KeyrefErrorCode, message: string): MigrationEntry =>
      ({ id, file, action: 'failed', from, code, message });
    if (!ID_RE.test(id)) return fail('PROFILE_INVALID', 'the file name is not a valid profile id');
    if (hasKey && hasEnv) return fail('PROFILE_INVALID', 'has both apiKey and api_key_env; keyref does not choose. Remove one and migrate again');
    if (raw.apiKeyRef !== undefined) return fail('PROFILE_INVALID', 'has both a legacy key field and apiKeyRef; keyref does not choose. Remove one and migrate again');
    const next: Record<string, unknown> = { ...raw };
    delete next.apiKey;
    delete next.api_key_env;
    let ref: string | undefined;
    let how: MigrationEntry['how'];
    let value: string | undefined;
    if (hasEnv) {
      if (typeof raw.api_key_env !== 'string') return fail('PROFILE_INVALID', 'api_key_env is not a string');
      ref = `env:${raw.api_key_env}`;
      const r = parseRef(ref, { allowSchemes: ALL_SCHEMES });
      if (!r.ok) {
        return fail(r.code === 'REF_LITERAL_SECRET' ? 'PROFILE_CONTAINS_SECRET' : r.code,
          `api_key_env does not name an environment variable (${r.code}); the file was left as it is`);
      }
      how = 'env';
    } else {
      const v = raw.apiKey;
      if (typeof v !== 'string') return fail('PROFILE_INVALID', 'apiKey is not a string');
      if (v === '') {
        how = 'dropped-empty';
      } else if (mode === 'env-name') {
        // The caller says the value is a variable NAME. parseRef still
        // refuses anything shaped like a key, so a key is never kept.
        ref = `env:${v}`;
        const r = parseRef(ref, { allowSchemes: ALL_SCHEMES });
        if (!r.ok) {
          return fail(r.code === 'REF_LITERAL_SECRET' ? 'PROFILE_CONTAINS_SECRET' : r.code,
            `apiKey is not an environment variable name (${r.code}); the file was left as it is. ` +
            "Migrate it with { apiKey: 'store-secret' }");
        }
        how = 'env-name';
      } else {
        ref = profileSecretRef(id);
        const r = parseRef(ref, { allowSchemes: ALL_SCHEMES });
        if (!r.ok) return fail('PROFILE_INVALID', `the profile id cannot name a secret (${r.code}); rename the profile and migrate again`);
        how = 'stored-secret';
        value = v;
      }
    }
    // apiKeyRef set here: a ref (env:NAME or secret:keyref/profiles/<id>), never a key.
    if (ref !== undefined) next.apiKeyRef = ref;
    const problem = validateProfile(next, this.ops);
    if (problem) return fail(problem.code, `the rewritten profile would be refused: ${problem.message}; the file was left as it is`);
    if (next.id !== id) return fail('PROFILE_INVALID', '/id: does not match the file name; the file was left as it is');
    if (value !== undefined && ref !== undefined) {
      try {
        await this.ops.storeSecret(ref, value);
      } catch (err) {
        const code = (err as KeyrefError).code ?? 'INTERNAL';
        return fail(code, `storing the key failed (${code}); the file was left as it is`);
      }
    }
    // Renamed over the old file: no copy or backup of it is kept.
    await writeFileAtomic(this.dir, path.basename(file), `${JSON.stringify(next, null, 2)}\n`);
    const entry: MigrationEntry = { id, file, action: 'migrated', from, how };
    // The report names the new ref, never the key (reports are logged).
    if (ref !== undefined) entry.apiKeyRef = ref;
    return entry;
  }

  /**
   * Exports every valid profile to `file` (mode 0600). Secret-free unless
   * `includeSecrets` is true, which is gated (see below) and written by
   * native code. Refusals are EXPORT_DENIED and write nothing.
   */
  async exportProfiles(file: string, options?: ExportOptions): Promise<ExportReport> {
    if (typeof file !== 'string') throw invalidArgType('file', 'of type string', file);
    if (file === '' || file.includes('\0')) throw invalidArgValue('file', 'must be a non-empty path without NUL');
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw invalidArgType('options', 'an object', options);
    }
    const includeSecrets = options?.includeSecrets ?? false;
    if (typeof includeSecrets !== 'boolean') {
      throw invalidArgType('options.includeSecrets', 'of type boolean', includeSecrets);
    }
    const confirm = options?.confirm;
    if (confirm !== undefined && typeof confirm !== 'function') {
      throw invalidArgType('options.confirm', 'a function', confirm);
    }
    const target = path.resolve(file);
    const { profiles, invalid } = await this.list();
    const skipped = invalid.map((i) => i.id);
    // list() only returns profiles that passed the secret check; check
    // again right before writing, in case the sidecar learnt a live secret.
    for (const p of profiles) {
      const problem = validateProfile(p, this.ops);
      if (problem) throw keyrefError('EXPORT_DENIED', `Nothing was exported: profile ${p.id}: ${problem.message}.`, problem.hint);
    }
    if (!includeSecrets) {
      const doc = { format: 'keyref.llm-profiles', version: 1, includesSecrets: false,
        profiles: profiles.map((profile) => ({ profile })) };
      await writeFileAtomic(path.dirname(target), path.basename(target), `${JSON.stringify(doc, null, 2)}\n`);
      return { file: target, profiles: profiles.length, secrets: 0, includesSecrets: false, skipped };
    }
    // THE SECRET EXPORT GATE. It must not be loosened (fewer conditions, a
    // default of true, a confirm that is skipped or answered for the user)
    // without a maintainer's explicit approval: this is the only path by
    // which keyref writes secret values to a file, the one exception to "no
    // raw secret in any persisted file". It needs all of: a real keyref
    // Sidecar (its native code does the writing), policy.allowSecretExport
    // (read from native code, which checks it again), and the host's confirm
    // modal answering exactly true, which native code asks itself
    // (addon/src/sidecar_export.cc: it calls `confirm` and accepts only a
    // literal true, so a caller of the raw binding cannot skip it). Values
    // are resolved and written natively (native/src/profile_export.cpp) and
    // never come back to JavaScript. docs/threat-model.md says what this gate
    // can and cannot stop.
    const deny = (why: string): KeyrefError => keyrefError('EXPORT_DENIED',
      `Profiles were not exported with their secrets: ${why}. Nothing was written.`,
      'Export without includeSecrets: the file then holds the apiKeyRef of each profile, which is enough to re-create it.');
    const sidecar = this.ops as unknown;
    if (!(sidecar instanceof Sidecar)) throw deny('the store was not given a keyref Sidecar');
    const s = sidecar as Sidecar & { [kSecretExportAllowed](): boolean;
      [kExportWithSecrets](items: Array<[string, string]>, file: string,
        ask: (info: ExportConfirmInfo) => unknown): Promise<{ profiles: number; secrets: number }> };
    if (s[kSecretExportAllowed]() !== true) throw deny('policy.allowSecretExport is not true');
    if (typeof confirm !== 'function') throw deny('no confirm callback was given');
    const items = profiles.map((p): [string, string] => [JSON.stringify(p), p.apiKeyRef ?? '']);
    // Native code calls confirm once, with { file, profileIds } built from
    // the items, and proceeds only on a literal true (EXPORT_DENIED otherwise).
    const stats = await s[kExportWithSecrets](items, target, confirm);
    return { file: target, profiles: stats.profiles, secrets: stats.secrets, includesSecrets: true, skipped };
  }
}

function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string') throw invalidArgType('id', 'of type string', id);
  if (!ID_RE.test(id)) throw invalidArgValue('id', 'must match ^[A-Za-z0-9._-]{1,64}$');
}

/** Migrates the legacy profiles of `dir` (see ProfileStore.migrate). */
export function migrateProfiles(dir: string, sidecar: SecretOps, options?: MigrateOptions): Promise<MigrationEntry[]> {
  return new ProfileStore(dir, sidecar).migrate(options);
}
