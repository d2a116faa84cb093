// The body of the folder walker's worker thread (folder-reader.ts). It runs from its own source text
// (`folderWalkerWorker.toString()`), so it must use nothing but its parameters: no imports, no helpers from this
// module. Types are only for the type check.

/** One item of the walk, in order; paths are relative to the folder, with '/' separators. */
export type WalkItem =
  | { k: 'enter'; rel: string }
  | { k: 'leave'; rel: string; mode: number }
  | { k: 'skip'; rel: string; reason: 'symlink' | 'not a regular file' | 'vanished' }
  /** A regular file when listed: a reader thread opens it (file-reader-worker.ts). */
  | { k: 'file'; rel: string }
  /** A folder under the root that could not be listed (its errno), for the caller to fail on. */
  | { k: 'error'; rel: string; code: string; message: string }
  /** The folder itself could not be read: the walk ends. */
  | { k: 'fatal'; code: string; message: string };

export interface WalkReply {
  items: WalkItem[];
  /** The walk is over: no more requests. */
  done: boolean;
}

interface Port {
  on(event: 'message', fn: () => void): void;
  postMessage(m: WalkReply): void;
}

interface Deps {
  fs: typeof import('fs');
  path: typeof import('path');
}

/**
 * Walks `root` depth first in sorted name order, listing folders only (no file is opened here): each request is
 * answered with the next maxItems items at most. The files it lists are read by reader threads, several at once; the
 * walk is one, so that its order is one whatever changes in the folder meanwhile. Never follows a symlink.
 */
export function folderWalkerWorker(port: Port, data: { root: string; maxItems: number }, deps: Deps): void {
  const { fs, path } = deps;
  const codeOf = (err: unknown) => String((err as { code?: unknown })?.code ?? 'EIO');
  const messageOf = (err: unknown) => String((err as { message?: unknown })?.message ?? err);
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

  interface Frame {
    abs: string;
    rel: string;
    mode: number;
    dirents: import('fs').Dirent[];
    at: number;
  }
  const stack: Frame[] = [];
  let started = false;
  let done = false;

  const enter = (abs: string, rel: string, items: WalkItem[]) => {
    let dirents: import('fs').Dirent[];
    let mode: number;
    try {
      dirents = fs.readdirSync(abs, { withFileTypes: true });
      mode = fs.statSync(abs).mode & 0o7777;
    } catch (err) {
      if (rel && codeOf(err) === 'ENOENT') items.push({ k: 'skip', rel, reason: 'vanished' });
      else {
        items.push(rel ? { k: 'error', rel, code: codeOf(err), message: messageOf(err) } : { k: 'fatal', code: codeOf(err), message: messageOf(err) });
        if (!rel) done = true;
      }
      return;
    }
    dirents.sort(byName);
    items.push({ k: 'enter', rel });
    stack.push({ abs, rel, mode, dirents, at: 0 });
  };

  port.on('message', () => {
    const items: WalkItem[] = [];
    if (!started) {
      started = true;
      enter(data.root, '', items);
    }
    while (!done && stack.length && items.length < data.maxItems) {
      const top = stack[stack.length - 1];
      if (top.at === top.dirents.length) {
        stack.pop();
        items.push({ k: 'leave', rel: top.rel, mode: top.mode });
        continue;
      }
      const d = top.dirents[top.at++];
      const rel = top.rel ? `${top.rel}/${d.name}` : d.name;
      if (d.isSymbolicLink()) items.push({ k: 'skip', rel, reason: 'symlink' });
      else if (d.isDirectory()) enter(path.join(top.abs, d.name), rel, items);
      else if (!d.isFile()) items.push({ k: 'skip', rel, reason: 'not a regular file' });
      else items.push({ k: 'file', rel });
    }
    if (started && !stack.length) done = true;
    port.postMessage({ items, done });
  });
}
