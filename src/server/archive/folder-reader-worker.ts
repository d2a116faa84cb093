// The body of the folder reader's worker thread (folder-reader.ts). It runs from its own source text
// (`folderReaderWorker.toString()`), so it must use nothing but its parameters: no imports, no helpers from this
// module. Types are only for the type check.

/** One item of the walk, in order; paths are relative to the folder, with '/' separators. */
export type FoundItem =
  | { k: 'enter'; rel: string }
  | { k: 'leave'; rel: string; mode: number }
  | { k: 'skip'; rel: string; reason: 'symlink' | 'not a regular file' | 'vanished' }
  /** A small file read whole into the batch's buffer at [off, off + len), with its CRC-32 and SHA-256. */
  | { k: 'data'; rel: string; off: number; len: number; mode: number; crc: number; sha256: string }
  /** Over inlineMax: the main thread opens and streams it. */
  | { k: 'large'; rel: string }
  /** A file that could not be read (its errno), for the caller to skip (ENOENT, ELOOP) or fail on. */
  | { k: 'error'; rel: string; code: string; message: string }
  /** The folder itself could not be read: the walk ends. */
  | { k: 'fatal'; code: string; message: string };

export interface BatchRequest {
  buf: number;
  bytes: ArrayBuffer;
}

export interface BatchReply extends BatchRequest {
  items: FoundItem[];
  /** The walk is over: no more requests. */
  done: boolean;
}

interface Port {
  on(event: 'message', fn: (m: BatchRequest) => void): void;
  postMessage(m: BatchReply, transfer: ArrayBuffer[]): void;
}

interface Deps {
  fs: typeof import('fs');
  path: typeof import('path');
  crypto: typeof import('crypto');
  zlib: typeof import('zlib');
}

/**
 * Walks `root` depth first in sorted name order and reads its small files into the buffer of each request, hashing
 * them as they come (CRC-32 for the ZIP, SHA-256 for the manifest): the walk, the four system calls per file and both
 * hashes are the per-file cost of a folder of uploads, and here they run on the second core. A request is answered
 * when its buffer cannot take the next file or after maxItems items; the walk goes on from there at the next one.
 * Never follows a symlink (O_NOFOLLOW), never blocks on a FIFO (O_NONBLOCK).
 */
export function folderReaderWorker(port: Port, data: { root: string; inlineMax: number; maxItems: number }, deps: Deps): void {
  const { fs, path, crypto, zlib } = deps;
  const FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW || 0) | (fs.constants.O_NONBLOCK || 0);
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  const native = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  const crc32 = (b: Uint8Array): number => {
    if (native) return native(b) >>> 0;
    let c = 0xffffffff;
    for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
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

  const enter = (abs: string, rel: string, items: FoundItem[]) => {
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

  port.on('message', ({ buf, bytes }) => {
    const items: FoundItem[] = [];
    let off = 0;
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
      const d = top.dirents[top.at];
      const rel = top.rel ? `${top.rel}/${d.name}` : d.name;
      const abs = path.join(top.abs, d.name);
      if (d.isSymbolicLink()) items.push({ k: 'skip', rel, reason: 'symlink' });
      else if (d.isDirectory()) {
        top.at++;
        enter(abs, rel, items);
        continue;
      } else if (!d.isFile()) items.push({ k: 'skip', rel, reason: 'not a regular file' });
      else {
        let fd = -1;
        try {
          fd = fs.openSync(abs, FLAGS);
          const st = fs.fstatSync(fd);
          if (!st.isFile()) items.push({ k: 'skip', rel, reason: 'not a regular file' });
          else if (st.size > data.inlineMax) items.push({ k: 'large', rel });
          else if (off + st.size > bytes.byteLength) break; // the next request starts with this file
          else {
            const view = new Uint8Array(bytes, off, st.size);
            let got = 0;
            while (got < st.size) {
              const n = fs.readSync(fd, view, got, st.size - got, got);
              if (n === 0) break;
              got += n;
            }
            const content = got === st.size ? view : view.subarray(0, got);
            const sha256 = crypto.createHash('sha256').update(content).digest('hex');
            items.push({ k: 'data', rel, off, len: got, mode: st.mode & 0o7777, crc: crc32(content), sha256 });
            off += got;
          }
        } catch (err) {
          items.push({ k: 'error', rel, code: codeOf(err), message: messageOf(err) });
        } finally {
          if (fd >= 0) fs.closeSync(fd);
        }
      }
      top.at++;
    }
    if (started && !stack.length) done = true;
    port.postMessage({ buf, bytes, items, done }, [bytes]);
  });
}
