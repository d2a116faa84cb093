import type { Manifest } from './manifest-types';

/** Entries per piece: a few hundred KB of JSON. */
const PER_PIECE = 2000;

/**
 * What goes around a manifest's entries: JSON.stringify(head) opened up to `"entries":[`, and what closes it. Between
 * them, the entries' JSON comma-separated: together exactly JSON.stringify({ ...head, entries }).
 */
export function manifestJsonFrame(head: Omit<Manifest, 'entries'>): { open: string; close: string } {
  const headJson = JSON.stringify(head);
  return { open: `${headJson.slice(0, -1)}${headJson.length > 2 ? ',' : ''}"entries":[`, close: ']}' };
}

/**
 * A manifest's JSON in pieces (entries last), which joined are exactly JSON.stringify(manifest): written piece by piece
 * (awaiting each write), a manifest of 500,000 entries (about 75 MB) is never one string, and the event loop turns.
 */
export function* manifestJsonPieces(manifest: Manifest, perPiece = PER_PIECE): Generator<string> {
  const { entries, ...head } = manifest;
  const { open, close } = manifestJsonFrame(head);
  yield open;
  for (let i = 0; i < entries.length; i += perPiece) {
    const json = JSON.stringify(entries.slice(i, i + perPiece));
    yield `${i ? ',' : ''}${json.slice(1, -1)}`;
  }
  yield close;
}
