// exportProfiles(): every valid profile to one file, secret-free by
// default. The secret export is gated hard (docs/invariants.md, "No secret
// at rest"); its values are resolved and written by native code.
import * as path from 'path';
import { invalidArgType, invalidArgValue, keyrefError, KeyrefError } from './errors';
import { kExportWithSecrets, kSecretExportAllowed } from './internal';
import type { LlmProfile } from './llm_profile';
import { validateProfile } from './profile_check';
import { writeFileAtomic } from './profile_files';
import type { SecretOps } from './secret_ops';
import { Sidecar } from './sidecar';

/** What the confirm callback of a secret export is told. */
export interface ExportConfirmInfo {
  file: string;
  profileIds: string[];
  /**
   * apiKeyRefs[i] is the apiKeyRef of profileIds[i]: a ref (env:NAME,
   * keyring:…), never a key; '' when the profile has none. Show them: the
   * person confirms which stores' keys go into the file, not only how many.
   */
  apiKeyRefs: string[];
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

/** @internal What the export needs of the store. */
export interface ExportSource {
  readonly ops: SecretOps;
  list(): Promise<{ profiles: LlmProfile[]; invalid: Array<{ id: string }> }>;
}

/**
 * @internal Exports every valid profile to `file` (mode 0600). Secret-free unless
 * `includeSecrets` is true, which is gated (see below) and written by
 * native code. Refusals are EXPORT_DENIED and write nothing.
 */
export async function exportProfileFile(store: ExportSource, file: string, options?: ExportOptions): Promise<ExportReport> {
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
  const { profiles, invalid } = await store.list();
  const skipped = invalid.map((i) => i.id);
  // list() only returns profiles that passed the secret check; check
  // again right before writing, in case the sidecar learnt a live secret.
  for (const p of profiles) {
    const problem = validateProfile(p, store.ops);
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
  const sidecar = store.ops as unknown;
  if (!(sidecar instanceof Sidecar)) throw deny('the store was not given a keyref Sidecar');
  const s = sidecar as Sidecar & { [kSecretExportAllowed](): boolean;
    [kExportWithSecrets](items: Array<[string, string]>, file: string,
      ask: (info: ExportConfirmInfo) => unknown): Promise<{ profiles: number; secrets: number }> };
  if (s[kSecretExportAllowed]() !== true) throw deny('policy.allowSecretExport is not true');
  if (typeof confirm !== 'function') throw deny('no confirm callback was given');
  const items = profiles.map((p): [string, string] => [JSON.stringify(p), p.apiKeyRef ?? '']);
  // Native code calls confirm once, with { file, profileIds, apiKeyRefs } built from
  // the items, and proceeds only on a literal true (EXPORT_DENIED otherwise).
  const stats = await s[kExportWithSecrets](items, target, confirm);
  return { file: target, profiles: stats.profiles, secrets: stats.secrets, includesSecrets: true, skipped };
}
