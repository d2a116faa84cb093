import { validateManifest, validateManifestAsync } from '../manifest';
import { entryOf, manifestFor } from './helpers';

// A file may not also be a folder of another entry: extraction could not create both. The check remembers the last
// folder it found clear (entries come folder by folder); a clash in any later folder must still be found.

const files = (paths: string[]) => manifestFor(paths.map((p) => entryOf(p, Buffer.from(p))));

async function clashOf(paths: string[]): Promise<unknown> {
  let sync: unknown = null;
  try {
    validateManifest(files(paths));
  } catch (err) {
    sync = err;
  }
  let async: unknown = null;
  await validateManifestAsync(files(paths)).catch((err) => (async = err));
  // Both forms judge alike.
  expect((async as { params?: unknown } | null)?.params).toEqual((sync as { params?: unknown } | null)?.params);
  return (sync as { code?: string; params?: unknown } | null) && { code: (sync as { code: string }).code, params: (sync as { params: unknown }).params };
}

describe('a file that is also a folder', () => {
  it('accepts files of many folders', async () => {
    expect(await clashOf(['db/main.dump', 'a/1', 'a/2', 'a/b/1', 'a/b/2', 'c/1', 'a/3'])).toBeNull();
  });

  it('is found after many files of a clear folder, in the next folder', async () => {
    const clash = await clashOf(['d1/f1', 'd1/f2', 'd1/f3', 'd2/f1', 'd2']);
    expect(clash).toEqual({ code: 'ENTRY_UNSAFE', params: { path: 'd2', reason: 'file and folder' } });
  });

  it('is found for a deeper folder of a folder already clear', async () => {
    const clash = await clashOf(['a/b/f1', 'a/b/f2', 'a/b/c/f3', 'a/b/c']);
    expect(clash).toEqual({ code: 'ENTRY_UNSAFE', params: { path: 'a/b/c', reason: 'file and folder' } });
  });

  it('is found when the file comes first', async () => {
    const clash = await clashOf(['x', 'x/y/z']);
    expect(clash).toEqual({ code: 'ENTRY_UNSAFE', params: { path: 'x', reason: 'file and folder' } });
  });
});
