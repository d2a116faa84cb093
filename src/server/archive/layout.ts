// Where everything lives inside an archive: every entry name and prefix is spelled here, and built or matched
// through these names only (docs/format.md describes the layout).

/** Name of the manifest entry: always the last entry of a plain archive, never listed in manifest.entries. */
export const MANIFEST_NAME = 'manifest.json';
/** Encrypted archives: the manifest, encrypted like every entry; second to last. */
export const MANIFEST_ENC_NAME = 'manifest.json.enc';
/** Encrypted archives: cipher parameters and the plain header; last. Its presence marks an archive encrypted. */
export const ENCRYPTION_NAME = 'encryption.json';
/** The manifest's signature (provenance.ts); last entry of every archive this plugin writes since signatures came. */
export const SIGNATURE_NAME = 'manifest.sig';
/** Names no entry may take: they would be mistaken for the archive's own metadata. */
export const RESERVED_NAMES: readonly string[] = [MANIFEST_NAME, MANIFEST_ENC_NAME, ENCRYPTION_NAME, SIGNATURE_NAME];

/** Opaque ZIP names of encrypted entries: 'e/000001', 'e/000002', ... */
export const STORED_NAME_RE = /^e\/[0-9]{6,}$/;
/** Opaque ZIP name of the n-th encrypted entry (from 1): upload names must not show in the archive. */
export const storedEntryName = (n: number): string => `e/${String(n).padStart(6, '0')}`;

/** The main application's database dump: the SQLite file itself, or the dump tool's output. */
export const mainDumpEntry = (dialect: string): string => (dialect === 'sqlite' ? 'db/main.sqlite' : 'db/main.dump');
/**
 * The main database dumped in PostgreSQL's directory format (pg_dump -Fd -j N): a folder of entries, one per file
 * pg_dump wrote ('db/main.dir/toc.dat', 'db/main.dir/3456.dat.gz'); manifest.database.dump names the folder.
 */
export const MAIN_DUMP_DIR = 'db/main.dir';
/** The directory format's table of contents, which every such dump has (its header is the custom format's). */
export const DUMP_DIR_TOC = 'toc.dat';
/** An entry of a directory-format dump: `<folder>/<file pg_dump wrote>`. */
export const dumpDirEntry = (dir: string, file: string): string => `${dir}/${file}`;
/** The entry that starts a database's dump: the dump itself, or a directory-format dump's table of contents. */
export const dumpHeadEntry = (database: { dump: string; dumpFormat?: string }): string =>
  database.dumpFormat === 'directory' ? dumpDirEntry(database.dump, DUMP_DIR_TOC) : database.dump;
/** A sub-application's database dump (the name checked by the caller: subapps/selection.ts). */
export const subAppDumpEntry = (name: string, dialect: string): string =>
  `apps/${name}/${dialect === 'sqlite' ? 'db.sqlite' : 'db.dump'}`;
/** An external data source's database dump (the key checked by the caller: datasources/kinds.ts). */
export const sourceDumpEntry = (key: string): string => `sources/${key}/db.dump`;

/** Everything under this prefix is a file of the storage folder (uploads, plugins). */
export const STORAGE_PREFIX = 'storage/';
/** The storage folder's uploads/ and plugins/, each a folder of entries. */
export const UPLOADS_ENTRY = `${STORAGE_PREFIX}uploads`;
export const PLUGINS_ENTRY = `${STORAGE_PREFIX}plugins`;
/** The app's encryption keys (storage/apps/<app>/aes_key.dat, storage/environment-variables/<app>/aes_key.dat). */
export const APP_KEY_ENTRY = 'keys/apps/aes_key.dat';
export const ENV_KEY_ENTRY = 'keys/environment-variables/aes_key.dat';
