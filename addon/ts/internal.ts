// Symbols for the few Sidecar members that only keyref's own modules call.
// They are not exported from index.ts, so an extension reaches them only by
// reaching into keyref's files on purpose.

/** @internal Sidecar[kExportWithSecrets](items, file): native export with secrets. */
export const kExportWithSecrets = Symbol('keyref.exportWithSecrets');
/** @internal Sidecar[kSecretExportAllowed](): policy.allowSecretExport, read from native code. */
export const kSecretExportAllowed = Symbol('keyref.secretExportAllowed');
