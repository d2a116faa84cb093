// The body of the file maker's worker thread (file-maker.ts). It runs from its own source text
// (`fileMakerWorker.toString()`), so it must use nothing but its parameters. Types are only for the type check.

/**
 * Numbers per file in a batch's `meta`: content offset, content length, mode, end of its target path in `names`, end
 * of its entry path there.
 */
export const META_FIELDS = 5;

/**
 * A batch of files, all in transferable buffers and none as an object per file: file i's content is bytes
 * [meta[5i], meta[5i] + meta[5i+1]) of `bytes`, its mode meta[5i+2], its target path the UTF-8 bytes of `names` from
 * the previous file's end (meta[5i-1], 0 for the first) to meta[5i+3], then its entry path (for the caller's messages
 * only) up to meta[5i+4].
 */
export interface MakeRequest {
  buf: number;
  bytes: ArrayBuffer;
  meta: ArrayBuffer;
  names: ArrayBuffer;
  count: number;
}

export interface MakeReply {
  buf: number;
  bytes: ArrayBuffer;
  meta: ArrayBuffer;
  names: ArrayBuffer;
  /** How many of the request's files were created, in order. */
  created: number;
  /** The first failure: the file at index `created` was not created, and nothing after it is. */
  error: { code: string; message: string } | null;
}

interface Port {
  on(event: 'message', fn: (m: MakeRequest) => void): void;
  postMessage(m: MakeReply, transfer: ArrayBuffer[]): void;
}

/**
 * Creates each file exclusively (never through a symlink, never over an existing file) with its mode, writes it and
 * closes it: four system calls per file that cost a restore of 50,000 small uploads about 4 s of its main thread.
 * After a failure it creates nothing more: the caller removes what was made and gives up.
 */
export function fileMakerWorker(port: Port, _data: unknown, deps: { fs: typeof import('fs') }): void {
  const { fs } = deps;
  const FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW || 0);
  let failed = false;
  port.on('message', ({ buf, bytes, meta, names, count }) => {
    const m = new Uint32Array(meta);
    const nameBytes = new Uint8Array(names);
    const decoder = new TextDecoder();
    let created = 0;
    let error: MakeReply['error'] = null;
    // META_FIELDS, again: this body runs from its source text, where the module's names do not exist.
    const F = 5;
    for (let i = 0; i < count && !failed; i++) {
      const off = m[F * i];
      const len = m[F * i + 1];
      const target = decoder.decode(nameBytes.subarray(i ? m[F * i - 1] : 0, m[F * i + 3]));
      let fd = -1;
      try {
        fd = fs.openSync(target, FLAGS, 0o600);
        fs.fchmodSync(fd, m[F * i + 2]);
        const view = new Uint8Array(bytes, off, len);
        let at = 0;
        while (at < len) at += fs.writeSync(fd, view, at, len - at);
        fs.closeSync(fd);
        fd = -1;
        created++;
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        error = { code: String(e?.code ?? 'EIO'), message: String(e?.message ?? err) };
        failed = true;
        if (fd >= 0) {
          try {
            fs.closeSync(fd);
            fs.rmSync(target, { force: true });
          } catch {
            /* best effort: the caller removes the whole staging folder */
          }
        }
      }
    }
    port.postMessage({ buf, bytes, meta, names, created, error }, [bytes, meta, names]);
  });
}
