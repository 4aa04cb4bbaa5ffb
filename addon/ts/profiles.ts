// The LLM profile store: one JSON file per profile in a 0700 folder, files
// 0600, every write atomic and taken under a cross-process lock. Nothing
// secret is ever written: save() refuses a profile that would persist a
// credential (validateProfile, profile_check.ts), which is what makes the files safe to
// sync, share and show. docs/profiles.md describes the guarantees. Migration
// (profile_migrate.ts) and export (profile_export.ts) live in their own files.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { invalidArgType, invalidArgValue, isPlainObject, keyrefError } from './errors';
import type { LlmProfile } from './llm_profile';
import { Problem, validateProfile } from './profile_check';
import { exportProfileFile, ExportOptions, ExportReport } from './profile_export';
import {
  fsyncDir, ID_RE, INVALID_RE, isOwnFile, readProfileText, TMP_RE, timestamp, withDirLock, writeFileAtomic,
} from './profile_files';
import { MigrateOptions, migrateFolder, MigrationEntry } from './profile_migrate';
import type { SecretOps } from './secret_ops';

export type { ExportConfirmInfo, ExportOptions, ExportReport } from './profile_export';
export type { LegacyApiKeyHandling, MigrateOptions, MigrationEntry } from './profile_migrate';
// Kept here for keyref's own tests and children (test/node/helpers).
export { findProfileProblem, validateProfile } from './profile_check';
export { withDirLock, writeFileAtomic } from './profile_files';

/** One LLM profile; defined in llm_profile.ts (a leaf, so no module imports this file for it). */
export type { LlmProfile };

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
      const got = await readProfileText(this.fileOf(id));
      if ('problem' in got) {
        // A FIFO or a device is not renamed: it is not a profile file
        // anyone wrote, and list() reports it where it is.
        return { kind: 'invalid', legacy: false, setAside: !got.special,
          problem: { code: 'PROFILE_INVALID', message: got.problem } };
      }
      text = got.text;
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
    return this.locked(() => migrateFolder(this.dir, this.ops, mode));
  }

  /**
   * Exports every valid profile to `file` (mode 0600). Secret-free unless
   * `includeSecrets` is true, which is gated (profile_export.ts) and written
   * by native code. Refusals are EXPORT_DENIED and write nothing.
   */
  async exportProfiles(file: string, options?: ExportOptions): Promise<ExportReport> {
    return exportProfileFile({ ops: this.ops, list: () => this.list() }, file, options);
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
