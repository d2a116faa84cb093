// The body of the folder walker's worker thread (folder-reader.ts). It runs from its own source text
// (`folderWalkerWorker.toString()`), so it must use nothing but its parameters: no imports, no helpers from this
// module. Types are only for the type check.

/**
 * One item of the walk that is not a file; paths are relative to the folder, with '/' separators. `at`: how many
 * files of the same answer come before it.
 */
export type WalkItem = { at: number } & (
  | { k: 'enter'; rel: string }
  | { k: 'leave'; rel: string; mode: number }
  | { k: 'skip'; rel: string; reason: 'symlink' | 'not a regular file' | 'vanished' }
  /** A folder under the root that could not be listed (its errno), for the caller to fail on. */
  | { k: 'error'; rel: string; code: string; message: string }
  /** The folder itself could not be read: the walk ends. */
  | { k: 'fatal'; code: string; message: string }
);

/**
 * An answer of the walk: its items that are not files, and its regular files as listed (a reader thread opens them,
 * file-reader-worker.ts) as bytes, not strings: file i's path is the UTF-8 of names[ends[i-1] (0 for the first),
 * ends[i]). A string and an object per file, waiting on the main thread until its turn came, were promoted to the
 * old generation there: garbage that grew a server's heap with the file count.
 */
export interface WalkReply {
  items: WalkItem[];
  names: Uint8Array;
  ends: Uint32Array;
  /** The walk is over: no more requests. */
  done: boolean;
}

interface Port {
  on(event: 'message', fn: () => void): void;
  postMessage(m: WalkReply, transfer: ArrayBuffer[]): void;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

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

  // The files of the answer being made: their paths' UTF-8 (the buffer kept from answer to answer) and ends.
  const encoder = new TextEncoder();
  let names = new Uint8Array(128 * 1024);
  let used = 0;
  let ends: number[] = [];
  let items: WalkItem[] = [];
  const addFile = (rel: string) => {
    for (;;) {
      const { read, written } = encoder.encodeInto(rel, names.subarray(used));
      if (read === rel.length) {
        used += written;
        break;
      }
      const bigger = new Uint8Array(names.length * 2 + 3 * rel.length);
      bigger.set(names.subarray(0, used));
      names = bigger;
    }
    ends.push(used);
  };
  const add = (item: DistributiveOmit<WalkItem, 'at'>) => items.push({ ...item, at: ends.length } as WalkItem);

  const enter = (abs: string, rel: string) => {
    let dirents: import('fs').Dirent[];
    let mode: number;
    try {
      dirents = fs.readdirSync(abs, { withFileTypes: true });
      mode = fs.statSync(abs).mode & 0o7777;
    } catch (err) {
      if (rel && codeOf(err) === 'ENOENT') add({ k: 'skip', rel, reason: 'vanished' });
      else {
        add(rel ? { k: 'error', rel, code: codeOf(err), message: messageOf(err) } : { k: 'fatal', code: codeOf(err), message: messageOf(err) });
        if (!rel) done = true;
      }
      return;
    }
    dirents.sort(byName);
    add({ k: 'enter', rel });
    stack.push({ abs, rel, mode, dirents, at: 0 });
  };

  port.on('message', () => {
    items = [];
    ends = [];
    used = 0;
    if (!started) {
      started = true;
      enter(data.root, '');
    }
    while (!done && stack.length && items.length + ends.length < data.maxItems) {
      const top = stack[stack.length - 1];
      if (top.at === top.dirents.length) {
        stack.pop();
        add({ k: 'leave', rel: top.rel, mode: top.mode });
        continue;
      }
      const d = top.dirents[top.at++];
      const rel = top.rel ? `${top.rel}/${d.name}` : d.name;
      if (d.isSymbolicLink()) add({ k: 'skip', rel, reason: 'symlink' });
      else if (d.isDirectory()) enter(path.join(top.abs, d.name), rel);
      else if (!d.isFile()) add({ k: 'skip', rel, reason: 'not a regular file' });
      else addFile(rel);
    }
    if (started && !stack.length) done = true;
    const reply: WalkReply = { items, names: names.slice(0, used), ends: Uint32Array.from(ends), done };
    port.postMessage(reply, [reply.names.buffer as ArrayBuffer, reply.ends.buffer as ArrayBuffer]);
  });
}
