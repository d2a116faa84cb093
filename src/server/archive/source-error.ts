import { ArchiveError } from './errors';

/** A file or stream the writer reads from failed: SOURCE_FAILED naming the entry (ArchiveErrors pass as they are). */
export function sourceFailed(name: string, err: unknown): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  return new ArchiveError(
    'SOURCE_FAILED',
    `Reading "${name}" failed: ${e?.message ?? err}`,
    { path: name, reason: String(e?.code ?? e?.message ?? err) },
    { cause: err },
  );
}
