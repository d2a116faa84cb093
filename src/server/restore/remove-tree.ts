import { inWorker } from '../worker-call';

/**
 * Removes a folder and everything in it (nothing if it is missing) on a worker thread. The storage set aside by a
 * restore and its staging folder hold every upload: fs.promises.rm of 50,000 files took 5–7 s with event-loop lags of
 * 360–480 ms (a promise per file system call on the main thread); on a worker the lag was 4 ms for the same time (the
 * disk is what bounds it), and at 500,000 files the server kept answering while they went.
 */
export function removeTree(dir: string): Promise<void> {
  return inWorker((target: string) => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require('fs').rmSync(target, { recursive: true, force: true });
  }, dir);
}
