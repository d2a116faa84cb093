import type { Manifest } from './manifest-types';
import { TimeSlice } from '../time-slice';

/** Entries serialised per step: a few hundred KB of JSON. */
const CHUNK = 2000;

/**
 * manifest.json's bytes: the same JSON as JSON.stringify (entries last), built a chunk of entries at a time with the
 * event loop turning in between. One JSON.stringify of 500,000 entries (about 75 MB) held the main thread for over a
 * second at the end of a backup.
 */
export async function manifestJson(manifest: Manifest): Promise<Buffer> {
  const { entries, ...head } = manifest;
  const headJson = JSON.stringify(head);
  const pieces: Buffer[] = [Buffer.from(`${headJson.slice(0, -1)}${headJson.length > 2 ? ',' : ''}"entries":[`, 'utf8')];
  const slice = new TimeSlice();
  for (let i = 0; i < entries.length; i += CHUNK) {
    const json = JSON.stringify(entries.slice(i, i + CHUNK));
    pieces.push(Buffer.from(`${i ? ',' : ''}${json.slice(1, -1)}`, 'utf8'));
    if (slice.due()) await slice.pause();
  }
  pieces.push(Buffer.from(']}', 'utf8'));
  return Buffer.concat(pieces);
}
