// migrate(): rewrites legacy profiles (a string `apiKey`, or
// `api_key_env: "NAME"`) with an apiKeyRef. Runs under the ProfileStore's
// folder lock (profiles.ts), so two windows migrating at once store each key
// once. Never guesses from a value's shape.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { RefScheme, SCHEMES } from './catalog';
import { isPlainObject, type KeyrefError, type KeyrefErrorCode } from './errors';
import { validateProfile } from './profile_check';
import { ID_RE, isOwnFile, readProfileText, writeFileAtomic } from './profile_files';
import { ApiKeyRef, parseRef } from './ref';
import { profileSecretRef, SecretOps } from './secret_ops';

const ALL_SCHEMES: readonly RefScheme[] = SCHEMES;

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

/** @internal Migrates every legacy profile file of `dir`; the caller holds the folder lock. */
export async function migrateFolder(dir: string, ops: SecretOps, mode: LegacyApiKeyHandling): Promise<MigrationEntry[]> {
  const entries: MigrationEntry[] = [];
  for (const name of (await fsp.readdir(dir)).sort()) {
    if (isOwnFile(name) || !name.endsWith('.json')) continue;
    const id = name.slice(0, -5);
    const file = path.join(dir, name);
    let raw: unknown;
    try {
      const got = await readProfileText(file);
      if ('problem' in got) {
        entries.push({ id, file, action: 'unchanged', code: 'PROFILE_INVALID', message: `${got.problem}; list() reports it` });
        continue;
      }
      raw = JSON.parse(got.text);
    } catch {
      entries.push({ id, file, action: 'unchanged', code: 'PROFILE_INVALID', message: 'not a JSON profile; list() reports it' });
      continue;
    }
    if (!isPlainObject(raw) || !(Object.prototype.hasOwnProperty.call(raw, 'apiKey') ||
        Object.prototype.hasOwnProperty.call(raw, 'api_key_env'))) {
      entries.push({ id, file, action: 'unchanged' });
      continue;
    }
    entries.push(await migrateOne(dir, ops, id, file, raw, mode));
  }
  return entries;
}

async function migrateOne(dir: string, ops: SecretOps, id: string, file: string, raw: Record<string, unknown>,
  mode: LegacyApiKeyHandling): Promise<MigrationEntry> {
  const hasKey = Object.prototype.hasOwnProperty.call(raw, 'apiKey');
  const hasEnv = Object.prototype.hasOwnProperty.call(raw, 'api_key_env');
  const from: MigrationEntry['from'] = [];
  if (hasKey) from.push('apiKey');
  if (hasEnv) from.push('api_key_env');
  const fail = (code: KeyrefErrorCode, message: string): MigrationEntry =>
    ({ id, file, action: 'failed', from, code, message });
  if (!ID_RE.test(id)) return fail('PROFILE_INVALID', 'the file name is not a valid profile id');
  // The file is replaced by a new one (rename): through a symbolic link or
  // a second hard link, the old text, key and all, would stay under the
  // other name while this entry said "migrated".
  const ls = await fsp.lstat(file);
  if (ls.isSymbolicLink()) {
    return fail('PROFILE_INVALID', 'is a symbolic link; migrating it would leave the file it points to, key and all, as it is. Migrate that file instead');
  }
  if (ls.nlink > 1) {
    return fail('PROFILE_INVALID', 'has another hard link; migrating it would leave the key in the other name. Remove the other link first');
  }
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
  const problem = validateProfile(next, ops);
  if (problem) return fail(problem.code, `the rewritten profile would be refused: ${problem.message}; the file was left as it is`);
  if (next.id !== id) return fail('PROFILE_INVALID', '/id: does not match the file name; the file was left as it is');
  if (value !== undefined && ref !== undefined) {
    try {
      await ops.storeSecret(ref, value);
    } catch (err) {
      const code = (err as KeyrefError).code ?? 'INTERNAL';
      return fail(code, `storing the key failed (${code}); the file was left as it is`);
    }
  }
  // Renamed over the old file: no copy or backup of it is kept.
  await writeFileAtomic(dir, path.basename(file), `${JSON.stringify(next, null, 2)}\n`);
  const entry: MigrationEntry = { id, file, action: 'migrated', from, how };
  // The report names the new ref, never the key (reports are logged).
  if (ref !== undefined) entry.apiKeyRef = ref;
  return entry;
}
