import { runTool } from '../process/run';
import { ToolNotFoundError } from '../process/errors';

/**
 * Puts everything written to the filesystem holding `dir` on disk: syncfs(2), through coreutils' `sync -f` (Node has
 * no syncfs). A restore's staged files are written without an fsync each (tens of thousands of them); they replace
 * the app's files, and the originals set aside are deleted once the restore is kept. Without this, a power cut in
 * the half minute before the kernel writes them back could leave restored uploads empty after the originals are gone
 * (ext4 allocates their blocks late, while the renames and deletions are already in its journal).
 * Where `sync -f` is refused (an older or non-GNU `sync`), plain `sync` does the same for every filesystem.
 */
export async function syncFileSystemOf(dir: string): Promise<void> {
  try {
    await runTool({ command: 'sync', args: ['-f', dir], env: {} });
  } catch (err) {
    if (err instanceof ToolNotFoundError) throw err;
    await runTool({ command: 'sync', args: [], env: {} });
  }
}
